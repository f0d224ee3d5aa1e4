/**
 * Name and key rules of the config, dictionary and secret store surfaces, checked on UTF-8 bytes in the
 * runtime's order (C `isalpha`/`isalnum` on each byte, so any non-ASCII character fails a character
 * rule). Each check returns the runtime's message, or null when the input is valid.
 */
import { utf8ByteLength } from "../utf8.js";
import { ComputeMessages, type ConfigClass } from "./messages.js";

const MAX_BYTES = 255;

function isAlpha(unit: number): boolean {
  return (unit >= 65 && unit <= 90) || (unit >= 97 && unit <= 122);
}
function isAlnum(unit: number): boolean {
  return isAlpha(unit) || (unit >= 48 && unit <= 57);
}

/**
 * ConfigStore / Dictionary constructor names: 1–255 bytes, an ASCII letter first, then ASCII letters,
 * digits, `_` or space. An empty name reads "name can not be an empty string" for Dictionary but
 * "must start with an ascii alpabetical character" for ConfigStore (its emptiness check never fires).
 */
export function configStoreNameError(builtin: ConfigClass, name: string): string | null {
  if (name === "") return builtin === "Dictionary" ? ComputeMessages.nameEmpty(builtin) : ComputeMessages.nameStartAlpha(builtin);
  if (name.length > MAX_BYTES / 3 && utf8ByteLength(name) > MAX_BYTES) return ComputeMessages.nameTooLong(builtin);
  if (!isAlpha(name.charCodeAt(0))) return ComputeMessages.nameStartAlpha(builtin);
  for (let i = 1; i < name.length; i++) {
    const unit = name.charCodeAt(i);
    if (!(isAlnum(unit) || unit === 95 /* _ */ || unit === 32)) return ComputeMessages.configNameCharacters(builtin);
  }
  return null;
}

/** ConfigStore / Dictionary keys: 1–255 bytes, any characters. */
export function configStoreKeyError(builtin: ConfigClass, key: string): string | null {
  if (key === "") return ComputeMessages.keyEmpty(builtin);
  if (key.length > MAX_BYTES / 3 && utf8ByteLength(key) > MAX_BYTES) return ComputeMessages.keyTooLong(builtin);
  return null;
}

function secretCharactersValid(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (!(isAlnum(unit) || unit === 95 /* _ */ || unit === 45 /* - */ || unit === 46 /* . */)) return false;
  }
  return true;
}

/** SecretStore names: 1–255 bytes of ASCII letters, digits, `_`, `-`, `.` (no first-character rule). */
export function secretStoreNameError(name: string): string | null {
  if (name === "") return ComputeMessages.nameEmpty("SecretStore");
  if (name.length > MAX_BYTES / 3 && utf8ByteLength(name) > MAX_BYTES) return ComputeMessages.nameTooLong("SecretStore");
  if (!secretCharactersValid(name)) return ComputeMessages.secretNameCharacters;
  return null;
}

/** SecretStore keys (secret names): the same rule as store names, with the key messages. */
export function secretKeyError(key: string): string | null {
  if (key === "") return ComputeMessages.keyEmpty("SecretStore");
  if (key.length > MAX_BYTES / 3 && utf8ByteLength(key) > MAX_BYTES) return ComputeMessages.keyTooLong("SecretStore");
  if (!secretCharactersValid(key)) return ComputeMessages.secretKeyCharacters;
  return null;
}
