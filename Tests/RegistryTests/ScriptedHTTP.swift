// `ScriptedHTTP`, `scriptedTransport`, `RetryPolicy.fast` and `readOffThePool` moved to the
// ImagePatchTestSupport target, where the engine tests drive `RegistryDestination` with them too;
// this re-export keeps every file of this target seeing them as before.
@_exported import ImagePatchTestSupport
