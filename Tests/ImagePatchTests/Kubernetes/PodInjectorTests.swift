import Foundation
import ImagePatch
import JSON
import Kubernetes
import OCI
import TaskDefinition
import Testing

/// `PodInjector.injectPod`, as the admission webhook calls it: a Pod in, the Pod `inject` would write out.
@Suite("k8s inject: PodInjector")
struct PodInjectorTests {
    /// Images by reference, per architecture, without a registry.
    struct TableResolver: ImageCommandResolver {
        func resolve(image: String, platform: Platform) async throws -> ResolvedImage {
            guard image == "app:1" else { throw Missing() }
            return ResolvedImage(entrypoint: ["/app/run.sh"], cmd: ["hello", platform.architecture])
        }
        struct Missing: Error, CustomStringConvertible { var description: String { "no such image" } }
    }

    static func injector() throws -> PodInjector {
        var options = PodInjectionOptions()
        options.preset = .falcon
        options.agentImage = K8sInject.agentImage
        options.agentSettings = ["cid": K8sInject.cid]
        return try PodInjector(options: options, resolver: TableResolver())
    }

    static func pod(labels: [String: String] = [:], image: String = "app:1") throws -> JSONValue {
        let labelText = labels.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ",")
        let text = """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop","labels":{\(labelText)}},
             "spec":{"nodeSelector":{"kubernetes.io/arch":"arm64"},"containers":[{"name":"c","image":"\(image)","x-unknown":1}]}}
            """
        return try JSONValue(parsing: Array(text.utf8))
    }

    @Test("a Pod gets the agent, its image's Entrypoint/Cmd for its architecture; a second pass changes nothing")
    func injectsAndIsIdempotent() async throws {
        let injector = try Self.injector()
        let pod = try Self.pod()
        let injected = try await injector.injectPod(pod, namespaceLabels: [:])
        let container = injected["spec"]?["containers"]?.arrayValue?.first
        #expect(
            container?["command"]?.arrayValue?.compactMap(\.stringValue) == K8sInject.launcher(arm64: true) + ["/app/run.sh"])
        #expect(container?["args"]?.arrayValue?.compactMap(\.stringValue) == ["hello", "arm64"])
        #expect(container?["x-unknown"] == .number("1"), "unknown fields survive")
        #expect(injected["spec"]?["initContainers"]?.arrayValue?.first?["name"]?.stringValue == K8sInject.initName)
        #expect(try await injector.injectPod(injected, namespaceLabels: [:]) == injected)
    }

    @Test("opted out by the namespace's label or the pod's own: returned unchanged")
    func optOuts() async throws {
        let injector = try Self.injector()
        let pod = try Self.pod()
        #expect(try await injector.injectPod(pod, namespaceLabels: [K8sInject.optOut: "disabled"]) == pod)
        let labelled = try Self.pod(labels: [K8sInject.optOut: "disabled"])
        #expect(try await injector.injectPod(labelled, namespaceLabels: [:]) == labelled)
    }

    @Test("an image that cannot be read is an error naming the pod and the container")
    func unreadableImage() async throws {
        let injector = try Self.injector()
        await #expect {
            _ = try await injector.injectPod(try Self.pod(image: "gone:1"), namespaceLabels: [:])
        } throws: { error in
            let text = "\(error)"
            return text.contains("Pod \"shop/p\"") && text.contains("container \"c\"") && text.contains("gone:1")
        }
    }
}
