import JSON

/// The pod rewrite the webhook applies: `PodInjector` in the Kubernetes target conforms at the command's level.
public protocol PodMutating: Sendable {
    /// Returns the Pod object as `k8s inject` would write it; unchanged when opted out or already injected.
    func injectPod(_ pod: JSONValue, namespaceLabels: [String: String]) async throws -> JSONValue
}
