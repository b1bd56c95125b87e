// Uploads a file with npm's esp-ota (a third-party espota client) and exits 0 on success.
// Usage: node espota_npm_upload.js <esp-ota dir> <file> <host> <port> <command 0|100> [password]
const [espOtaDir, file, host, port, command, password] = process.argv.slice(2);
const EspOTA = require(espOtaDir);

const client = new EspOTA('0.0.0.0', 0, 1460, 10);
if (password !== undefined) client.setPassword(password);
client.on('state', (state) => console.log(`state: ${state}`));
client
  .uploadFile(file, host, Number(port), Number(command))
  .then(() => {
    console.log('upload: done');
    process.exit(0);
  })
  .catch((error) => {
    console.log(`upload: failed: ${error}`);
    process.exit(1);
  });
