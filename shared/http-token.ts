/**
 * An HTTP header name (RFC 9110 `token`): letters, digits and ``!#$%&'*+.^_`|~-``. Shared by every place that takes a
 * header from a person (the profile editor, the IPC schema, the settings file, the CLI, the engine's options), so
 * they all accept and refuse the same names.
 */
export const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
