import ImagePatch
import JSON
import OCI
import TaskDefinition

/// What `k8s inject` and the admission webhook were asked to do: the same options as `taskdef
/// --mode sidecar` (preset, agent image, the preset's settings, more env).
public typealias PodInjectionOptions = SidecarOptions

/// Injects the agent into Kubernetes objects: the pod spec of a Pod, of a workload's pod template
/// (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job) and of a CronJob's job
/// template. Anything else is left as it is.
public struct PodInjector: Sendable {
    let rewriter: PodSpecRewriter
    let resolver: any ImageCommandResolver

    /// The kinds whose pod template is at `spec.template`.
    static let templateKinds: Set<String> = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"]

    /// The preset's init-container form, which pods need (a shared volume, not `volumesFrom`);
    /// checked in Kubernetes' terms (taskdef's own messages speak of --mode). `k8s install` asks too.
    public static func podForm(of preset: AgentPreset) throws -> SidecarPreset {
        guard case .available(let sidecar) = preset.definition.sidecar else {
            throw KubernetesError.noPodForm(preset: preset.rawValue)
        }
        guard sidecar.volumeName != nil, sidecar.mountPath != nil else {
            throw KubernetesError.noPodVolume(preset: preset.rawValue)
        }
        return sidecar
    }

    /// The presets that have a pod form, for the commands' help.
    public static var podPresetNames: [String] {
        AgentRegistry.all.compactMap { AgentPreset($0) }.filter { (try? podForm(of: $0)) != nil }.map(\.rawValue)
    }

    /// `resolver` reads the Entrypoint/Cmd of images whose containers give no `command`.
    public init(options: PodInjectionOptions, resolver: any ImageCommandResolver) throws {
        let sidecar = try Self.podForm(of: options.preset)
        guard let image = options.agentImage, !image.isEmpty else {
            throw KubernetesError.missingOption("--agent-image", "is required (the image the \(sidecar.containerName) init container runs)")
        }
        rewriter = try PodSpecRewriter(agent: try SidecarAgent(options: options, target: "Kubernetes"))
        self.resolver = resolver
    }

    /// The label (or annotation) value `disabled` under this name opts a pod, a workload or a namespace out.
    public static var optOutLabel: String { SidecarAgent.optOutLabel }

    /// Returns the Pod object (apiVersion/kind/metadata/spec as JSONValue) as `inject` would write it;
    /// unchanged when opted out or already injected.
    public func injectPod(_ pod: JSONValue, namespaceLabels: [String: String]) async throws -> JSONValue {
        if Self.isDisabled(namespaceLabels[Self.optOutLabel]) { return pod }
        guard let object = pod.objectValue else {
            throw KubernetesError.badField(object: "the pod", field: "the object", reason: "is \(pod.kindDescription), not an object")
        }
        var notices: [String] = []
        let result = try await inject(object, resolver: CachingResolver(resolver), notices: &notices)
        return result.map(JSONValue.object) ?? pod
    }

    /// One object: the result, or nil when it is not changed (another kind, opted out, already injected).
    /// A `List`'s items are injected one by one.
    public func inject(_ object: JSONObject, notices: inout [String]) async throws -> JSONObject? {
        try await inject(object, resolver: CachingResolver(resolver), notices: &notices)
    }

    func inject(_ object: JSONObject, resolver: CachingResolver, notices: inout [String]) async throws -> JSONObject? {
        guard let kind = object["kind"]?.stringValue else { return nil }
        let name = Self.describe(object, kind: kind)
        if kind == "List" || (kind.hasSuffix("List") && object["items"]?.arrayValue != nil) {
            guard var items = object["items"]?.arrayValue else { return nil }
            var changed = false
            for i in items.indices {
                guard let item = items[i].objectValue else { continue }
                if let new = try await inject(item, resolver: resolver, notices: &notices) {
                    items[i] = .object(new)
                    changed = true
                }
            }
            guard changed else { return nil }
            var result = object
            result["items"] = .array(items)
            return result
        }
        let path: [String]
        switch kind {
        case "Pod": path = []
        case _ where Self.templateKinds.contains(kind): path = ["spec", "template"]
        case "CronJob": path = ["spec", "jobTemplate", "spec", "template"]
        default: return nil
        }
        if Self.isOptedOut(object["metadata"]) {
            notices.append("skipping \(name): it is labelled \(Self.optOutLabel)=disabled")
            return nil
        }
        guard let template = Self.value(at: path, in: object)?.objectValue else {
            throw KubernetesError.badField(
                object: name, field: path.isEmpty ? "the object" : path.joined(separator: "."), reason: "is missing")
        }
        if !path.isEmpty && Self.isOptedOut(template["metadata"]) {
            notices.append("skipping \(name): its pod template is labelled \(Self.optOutLabel)=disabled")
            return nil
        }
        guard let spec = template["spec"]?.objectValue else {
            throw KubernetesError.badField(
                object: name, field: (path + ["spec"]).joined(separator: "."), reason: "is missing or not an object")
        }
        let newSpec = try await rewriter.rewrite(spec, object: name, resolver: resolver, notices: &notices)
        guard newSpec != spec else { return nil }
        var newTemplate = template
        newTemplate["spec"] = .object(newSpec)
        return Self.setting(.object(newTemplate), at: path, in: object)
    }

    static func isDisabled(_ value: String?) -> Bool { value?.lowercased() == "disabled" }

    /// The opt-out as a label or an annotation of this metadata.
    static func isOptedOut(_ metadata: JSONValue?) -> Bool {
        ["labels", "annotations"].contains { isDisabled(metadata?[$0]?[optOutLabel]?.stringValue) }
    }

    /// `Deployment "shop/web"`: how errors and notices name an object.
    static func describe(_ object: JSONObject, kind: String) -> String {
        let metadata = object["metadata"]
        let name = metadata?["name"]?.stringValue ?? metadata?["generateName"]?.stringValue ?? ""
        let namespace = metadata?["namespace"]?.stringValue
        return "\(kind) \(((namespace.map { "\($0)/" } ?? "") + name).debugDescription)"
    }

    static func value(at path: [String], in object: JSONObject) -> JSONValue? {
        var current = JSONValue.object(object)
        for key in path {
            guard let next = current[key] else { return nil }
            current = next
        }
        return current
    }

    static func setting(_ value: JSONValue, at path: [String], in object: JSONObject) -> JSONObject {
        guard let key = path.first else { return value.objectValue ?? object }
        var result = object
        let child = object[key]?.objectValue ?? JSONObject()
        result[key] = path.count == 1 ? value : .object(setting(value, at: Array(path.dropFirst()), in: child))
        return result
    }
}
