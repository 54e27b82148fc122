import AdmissionWebhook
import JSON

/// Test doubles of the injector. `TestInjector` makes the kinds of edits the real one makes (a volume,
/// an init container put first, each container's command, env, mounts and capabilities, an
/// annotation), so the patch covers object members, array elements, insertions and escaping.
struct TestInjector: PodMutating {
    static let optOutLabel = "sensor.falcon-system.crowdstrike.com/injection"
    static let injectedAnnotation = "sensor.falcon-system.crowdstrike.com/injected"

    func injectPod(_ pod: JSONValue, namespaceLabels: [String: String]) async throws -> JSONValue {
        guard case .object(var object) = pod, case .object(var metadata)? = object["metadata"],
            case .object(var spec)? = object["spec"]
        else { return pod }
        if metadata["labels"]?[Self.optOutLabel]?.stringValue == "disabled" { return pod }
        if metadata["annotations"]?[Self.injectedAnnotation] != nil { return pod }

        var annotations = metadata["annotations"]?.objectValue ?? JSONObject()
        annotations[Self.injectedAnnotation] = .string("true")
        annotations["imagepatch.example/state~v1"] = .string("agent=7.1")
        metadata["annotations"] = .object(annotations)
        object["metadata"] = .object(metadata)

        var volumes = spec["volumes"]?.arrayValue ?? []
        volumes.append(Self.json(#"{"name":"crowdstrike-falcon-volume","emptyDir":{}}"#))
        spec["volumes"] = .array(volumes)

        let initContainer = Self.json(
            #"""
            {"name":"crowdstrike-falcon-init-container","image":"registry.example/falcon-sensor:7.1",
             "command":["/bin/sh","-c","cp -a /opt/CrowdStrike/. /tmp/CrowdStrike/"],
             "volumeMounts":[{"name":"crowdstrike-falcon-volume","mountPath":"/tmp/CrowdStrike"}]}
            """#)
        spec["initContainers"] = .array([initContainer] + (spec["initContainers"]?.arrayValue ?? []))

        spec["containers"] = .array((spec["containers"]?.arrayValue ?? []).map(Self.inject))
        object["spec"] = .object(spec)
        return .object(object)
    }

    private static func inject(_ container: JSONValue) -> JSONValue {
        guard case .object(var c) = container else { return container }
        let command = c["command"]?.arrayValue ?? [.string("/docker-entrypoint.sh")]
        c["command"] = .array(
            [.string("/tmp/CrowdStrike/rootfs/lib64/ld-linux-x86-64.so.2"), .string("/tmp/CrowdStrike/falcon-launcher")] + command)
        var env = (c["env"]?.arrayValue ?? []).filter { $0["name"]?.stringValue != "FALCONCTL_OPT_CID" }
        env.append(json(#"{"name":"FALCONCTL_OPT_CID","value":"0123456789ABCDEF0123456789ABCDEF-12"}"#))
        c["env"] = .array(env)
        var mounts = c["volumeMounts"]?.arrayValue ?? []
        mounts.append(json(#"{"name":"crowdstrike-falcon-volume","mountPath":"/tmp/CrowdStrike","readOnly":true}"#))
        c["volumeMounts"] = .array(mounts)
        var securityContext = c["securityContext"]?.objectValue ?? JSONObject()
        var capabilities = securityContext["capabilities"]?.objectValue ?? JSONObject()
        capabilities["add"] = .array((capabilities["add"]?.arrayValue ?? []) + [.string("SYS_PTRACE")])
        securityContext["capabilities"] = .object(capabilities)
        c["securityContext"] = .object(securityContext)
        return .object(c)
    }

    static func json(_ text: String) -> JSONValue {
        try! JSONValue(parsing: Array(text.utf8))
    }
}

/// A registry that cannot be read.
struct FailingInjector: PodMutating {
    struct RegistryUnreachable: Error, CustomStringConvertible {
        var description: String { "cannot read registry.invalid/app:1 (linux/amd64): connection refused" }
    }

    func injectPod(_ pod: JSONValue, namespaceLabels: [String: String]) async throws -> JSONValue {
        throw RegistryUnreachable()
    }
}

/// A registry that never answers, and ignores cancellation while it does not.
struct HangingInjector: PodMutating {
    func injectPod(_ pod: JSONValue, namespaceLabels: [String: String]) async throws -> JSONValue {
        let end = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return pod
    }
}

enum Fixtures {
    /// A pod of a ReplicaSet as the API server sends it for admission: named by generateName only,
    /// with an owner reference, two containers, one without a command, an existing init container.
    static let pod = TestInjector.json(
        #"""
        {"kind":"Pod","apiVersion":"v1",
         "metadata":{"generateName":"web-7d4b9c8f6-","namespace":"shop","creationTimestamp":null,
           "labels":{"app":"web","pod-template-hash":"7d4b9c8f6"},
           "annotations":{"kubectl.kubernetes.io/restartedAt":"2026-12-01T10:00:00Z"},
           "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d4b9c8f6",
             "uid":"0f8f3c52-6c5e-4a57-9d43-1a4a3c6d2b11","controller":true,"blockOwnerDeletion":true}]},
         "spec":{
           "volumes":[{"name":"kube-api-access-x7k2p","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}}],"defaultMode":420}}],
           "initContainers":[{"name":"migrate","image":"registry.example/shop/web:1.4.2","command":["/app/migrate"],"resources":{}}],
           "containers":[
             {"name":"web","image":"registry.example/shop/web:1.4.2","command":["/app/web"],"args":["--port","8080"],
              "ports":[{"containerPort":8080,"protocol":"TCP"}],
              "env":[{"name":"MODE","value":"prod"},{"name":"FALCONCTL_OPT_CID","value":"stale"}],
              "resources":{"limits":{"cpu":"500m","memory":"256Mi"}},
              "volumeMounts":[{"name":"kube-api-access-x7k2p","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],
              "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"},
             {"name":"proxy","image":"registry.example/envoy:1.30","resources":{},
              "securityContext":{"capabilities":{"add":["NET_ADMIN"]},"runAsNonRoot":true},
              "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],
           "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",
           "serviceAccountName":"default","serviceAccount":"default","securityContext":{},"schedulerName":"default-scheduler",
           "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],
           "priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},
         "status":{}}
        """#)

    /// The AdmissionReview v1 the API server posts for `pod`.
    static func review(
        uid: String = "8f2b4c1e-3a57-4d8e-b1c9-6e0f2a9d7c34", pod: JSONValue = Fixtures.pod, kind: String = "Pod",
        resource: String = "pods", operation: String = "CREATE"
    ) -> JSONValue {
        var request = TestInjector.json(
            #"""
            {"uid":"","kind":{"group":"","version":"v1","kind":""},"resource":{"group":"","version":"v1","resource":""},
             "requestKind":{"group":"","version":"v1","kind":""},"requestResource":{"group":"","version":"v1","resource":""},
             "namespace":"shop","operation":"",
             "userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller",
               "uid":"a3b1c2d4-0000-4000-8000-000000000001",
               "groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]},
             "object":null,"oldObject":null,"dryRun":false,
             "options":{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}}
            """#
        ).objectValue!
        request["uid"] = .string(uid)
        request["kind"] = .object(JSONObject([("group", .string("")), ("version", .string("v1")), ("kind", .string(kind))]))
        request["requestKind"] = request["kind"]
        request["resource"] = .object(
            JSONObject([("group", .string("")), ("version", .string("v1")), ("resource", .string(resource))]))
        request["requestResource"] = request["resource"]
        request["operation"] = .string(operation)
        request["object"] = pod
        return .object(
            JSONObject([
                ("kind", .string("AdmissionReview")), ("apiVersion", .string("admission.k8s.io/v1")), ("request", .object(request)),
            ]))
    }
}
