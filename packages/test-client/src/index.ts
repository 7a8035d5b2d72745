export {
  ApiClient,
  type Account,
  type ApiClientOptions,
  type ImageEntry,
  type SendOptions,
  type UploadReceipt,
} from './client.ts';
export {
  fixtureImage,
  generatedImage,
  mebibyte,
  newCredentials,
  uniqueUsername,
  type Credentials,
} from './fixtures.ts';
export { fixtureUpload, multipart, streamedImage, type FormPart, type MultipartBody } from './multipart.ts';
export { UnexpectedStatus } from './unexpected-status.ts';
