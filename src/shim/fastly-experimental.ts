/**
 * `fastly:experimental` as the Compute runtime's module exports it: `includeBytes` (project files through
 * the reader the Node side installs), the backend and debug switches (checked, then no-ops in the JS
 * emulation), `sdkVersion`, `mapError` and `mapAndLogError`. See src/compute/experimental.ts.
 */
export {
  allowDynamicBackends,
  enableDebugLogging,
  includeBytes,
  mapAndLogError,
  mapError,
  sdkVersion,
  setBaseURL,
  setDefaultBackend,
  setReusableSandboxOptions,
} from "../compute/experimental.js";
