import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { publicImageUrl, uploadReceipt } from '../../src/domain/image-links.ts';

describe('image links', () => {
  it('are built from the configured public address and encode the name', () => {
    assert.equal(
      publicImageUrl('http://localhost:3000', 'abc_image.png'),
      'http://localhost:3000/images/abc_image.png',
    );
    assert.equal(publicImageUrl('https://img.example.com', 'a b'), 'https://img.example.com/images/a%20b');
  });

  it("keep the seed's upload answer: message, filename, url", () => {
    const receipt = uploadReceipt('http://localhost:3000', {
      id: 'i',
      filename: 'i_image.png',
      contentType: 'image/png',
      size: 1,
      createdAt: '',
    });
    assert.equal(receipt.message, 'Uploaded successfully');
    assert.equal(receipt.filename, 'i_image.png');
    assert.equal(receipt.url, 'http://localhost:3000/images/i_image.png');
  });
});
