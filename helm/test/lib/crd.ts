// Validation of custom resources (cert-manager, prometheus-operator, ArgoCD, Gateway API) with the compiled schema
// validators that the kubernetes-models packages ship. These check required fields, types and enums of each CRD's
// OpenAPI schema; unlike kubeconform -strict for the built-in kinds they do NOT reject unknown fields (the CRD schemas
// they are generated from do not forbid them). Gateway API objects are also checked strictly: lib/gateway-api.ts.
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { ClusterIssuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer';
import { AppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { ApplicationSet } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet';
import { Gateway } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway';
import { GatewayClass } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GatewayClass';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { must, type K8sObject } from './repo.ts';

type Model = new (data: never) => { validate(): void };

export const customResourceModels: Record<string, Model> = {
  'cert-manager.io/v1/Certificate': Certificate,
  'cert-manager.io/v1/ClusterIssuer': ClusterIssuer,
  'argoproj.io/v1alpha1/AppProject': AppProject,
  'argoproj.io/v1alpha1/Application': Application,
  'argoproj.io/v1alpha1/ApplicationSet': ApplicationSet,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'gateway.networking.k8s.io/v1/GatewayClass': GatewayClass,
  'gateway.networking.k8s.io/v1/Gateway': Gateway,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
};

export const customResourceKinds = Object.keys(customResourceModels).map((key) => must(key.split('/').at(-1)));

/** Throws with the validator's message when the object does not match its CRD schema. */
export function validateCustomResource(object: K8sObject): void {
  const Model = customResourceModels[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`no schema for custom resource ${object.apiVersion} ${object.kind}`);
  new Model(structuredClone(object) as never).validate();
}
