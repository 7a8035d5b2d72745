import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeName, storedFilename, storedFilenamePattern } from '../../src/domain/filenames.ts';

describe('stored file names', () => {
  it('are <uuid>_<safe name>.<extension> and match the stored-name pattern', () => {
    const name = storedFilename('image.png', 'png', '7c393cab-f916-48de-9ce3-480c6c2c158d');
    assert.equal(name, '7c393cab-f916-48de-9ce3-480c6c2c158d_image.png');
    assert.match(name, storedFilenamePattern);
  });

  it('take the extension of the sniffed type, never the client’s', () => {
    const id = '7c393cab-f916-48de-9ce3-480c6c2c158d';
    assert.equal(storedFilename('photo.exe', 'png', id), `${id}_photo.png`);
    assert.equal(storedFilename('photo.PNG', 'png', id), `${id}_photo.png`);
    assert.equal(storedFilename('photo', 'jpg', id), `${id}_photo.jpg`);
    assert.equal(storedFilename('archive.tar.gz', 'gif', id), `${id}_archive.tar.gif`);
    assert.equal(storedFilename('.htaccess', 'png', id), `${id}_image.png`);
    assert.equal(storedFilename('日本.png', 'webp', id), `${id}_image.webp`);
    assert.equal(storedFilename('x'.repeat(500), 'webp', id).length, id.length + 1 + 100);
  });

  it('neutralise hostile names', () => {
    assert.equal(safeName('../../etc/passwd'), 'passwd');
    assert.equal(safeName('..\\..\\windows\\win.ini'), 'win.ini');
    assert.equal(safeName('a\u0000b\u202Egnp.exe'), 'a_b_gnp.exe');
    assert.equal(safeName('my photo (1).png'), 'my_photo_1_.png');
    assert.equal(safeName('...'), 'image');
    assert.equal(safeName('日本.png'), 'png');
    assert.equal(safeName('x'.repeat(500)).length, 100);
  });

  it('always produce names the pattern accepts', () => {
    for (const original of ['', '/', '..', 'ｉｍａｇｅ.png', '\u202E', 'a'.repeat(300), 'x.'.repeat(100), '../a.b/']) {
      assert.match(
        storedFilename(original, 'png', '7c393cab-f916-48de-9ce3-480c6c2c158d'),
        storedFilenamePattern,
        original,
      );
    }
  });
});
