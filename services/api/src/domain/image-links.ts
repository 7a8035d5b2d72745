/** Where clients fetch an image: always under the configured public address, never the Host header. */
export const publicImageUrl = (publicBaseUrl: string, filename: string): string =>
  `${publicBaseUrl}/images/${encodeURIComponent(filename)}`;

export interface ImageMetadata {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  createdAt: string;
}

/** The seed's upload answer, kept verbatim: message, filename and url. */
export const uploadReceipt = (publicBaseUrl: string, image: ImageMetadata) => ({
  message: 'Uploaded successfully',
  filename: image.filename,
  url: publicImageUrl(publicBaseUrl, image.filename),
  id: image.id,
  contentType: image.contentType,
  size: image.size,
});

export const withUrl = (publicBaseUrl: string, image: ImageMetadata) => ({
  ...image,
  url: publicImageUrl(publicBaseUrl, image.filename),
});
