/** Opens a store folder and prints the error it fails with (run as another user by the tests). Usage: open-store.ts <directory> */
import { FileSystemDriver } from "edge-kv/node";

try {
  const driver = await FileSystemDriver.open({ directory: process.argv[2]! });
  await driver.close();
  process.stdout.write(`${JSON.stringify({ opened: true })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ name: (error as Error).name, message: (error as Error).message })}\n`);
}
