import Foundation
import Testing

/// `imagepatch k8s inject`: the same sidecar rewrite as `taskdef`, on Kubernetes manifests.
@Suite("k8s inject")
struct K8sInjectTests {
    @Test("a Deployment: a container with a command is wrapped, one without gets its image's Entrypoint/Cmd from the registry; idempotent")
    func deploymentFromRegistry() async throws {
        let registry = try await SharedRegistry.shared.plain()  // holds app:1 (Entrypoint /app/run.sh, Cmd hello)
        try await TempDirectory.with("k8s-deployment") { tmp in
            let manifest = """
                # the shop's web tier
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: web
                  namespace: shop
                  labels: {app: web}
                spec:
                  replicas: 2
                  selector:
                    matchLabels: {app: web}
                  template:
                    metadata:
                      labels: {app: web}
                    spec:
                      containers:
                      - name: web
                        image: nginx:1.27
                        command: ["/docker-entrypoint.sh"]
                        args: ["nginx", "-g", "daemon off;"]
                        env:
                        - {name: FALCONCTL_OPTS, value: old}
                        - {name: KEEP, value: "on"}
                      - name: app
                        image: \(registry.host)/app:1
                        ports:
                        - containerPort: 8080

                """
            let input = tmp.appending("deployment.yaml")
            try Data(manifest.utf8).write(to: URL(fileURLWithPath: input))
            let output = tmp.appending("out.yaml")
            let run = try await K8sInject.run([input, "--output", output])
            #expect(run.succeeded, "\(run)")
            #expect(run.stdout.isEmpty)
            let written = try Data(contentsOf: URL(fileURLWithPath: output))
            let documents = try await K8sInject.yamlDocuments(written)
            try #require(documents.count == 1)
            let spec = K8sInject.podSpec(documents[0])
            K8sInject.expectAgent(spec)

            let web = K8sInject.container(spec, "web")
            K8sInject.expectInjected(web)
            #expect(web["command"] as? [String] == K8sInject.launcher() + ["/docker-entrypoint.sh"])
            #expect(web["args"] as? [String] == ["nginx", "-g", "daemon off;"])
            let env = web["env"] as? [[String: Any]] ?? []
            #expect(env.compactMap { $0["name"] as? String } == ["FALCONCTL_OPTS", "KEEP"])
            #expect(env.last?["value"] as? String == "on", "a string that reads as a boolean stays a string")

            let app = K8sInject.container(spec, "app")
            K8sInject.expectInjected(app)
            #expect(app["command"] as? [String] == K8sInject.launcher() + ["/app/run.sh"])
            #expect(app["args"] as? [String] == ["hello"])
            #expect(run.stderrLines.contains { $0.contains("\"app\" had no command") && $0.contains("amd64") }, "\(run)")
            #expect(String(decoding: written, as: UTF8.self).hasPrefix("# the shop's web tier\n"))
            #expect((documents[0]["spec"] as? [String: Any])?["replicas"] as? Int == 2)

            try await K8sInject.validate([output])

            // Injecting the output again changes nothing, and needs no registry: the commands are explicit now.
            let again = try await K8sInject.run(["-", "--insecure-registry", "unreachable.invalid"], stdin: written)
            #expect(again.succeeded, "\(again)")
            #expect(again.stdout == written)
        }
    }

    @Test(
        "many documents: a CronJob pinned to arm64 gets the aarch64 loader; an opted-out Pod and a Service are written back byte for byte")
    func multiDocument() async throws {
        try await TempDirectory.with("k8s-multi") { tmp in
            let service = """
                apiVersion: v1
                kind: Service
                metadata:
                  name: web   # the front door
                spec:
                  selector: {app: web}
                  ports:
                  - {port: 80, targetPort: 8080}

                """
            let optedOut = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: debug
                  labels:
                    \(K8sInject.optOut): disabled
                spec:
                  containers:
                  - name: shell
                    image: busybox:1.36
                    command: [sleep, "3600"]

                """
            let annotatedDeployment = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: quiet}
                spec:
                  selector: {matchLabels: {app: quiet}}
                  template:
                    metadata:
                      labels: {app: quiet}
                      annotations: {\(K8sInject.optOut): Disabled}
                    spec:
                      containers: [{name: q, image: "busybox:1.36"}]

                """
            let cronJob = """
                apiVersion: batch/v1
                kind: CronJob
                metadata: {name: report}
                spec:
                  schedule: "0 3 * * *"
                  jobTemplate:
                    spec:
                      template:
                        spec:
                          restartPolicy: OnFailure
                          nodeSelector: {kubernetes.io/arch: arm64}
                          containers:
                          - name: report
                            image: reporter:2
                            command: [/usr/bin/report]
                            args: ["--since", "24h"]

                """
            let manifest = "---\n" + service + "---\n" + optedOut + "---\n" + annotatedDeployment + "---\n" + cronJob
            let run = try await K8sInject.run(["-"], stdin: Data(manifest.utf8))
            #expect(run.succeeded, "\(run)")
            let text = String(decoding: run.stdout, as: UTF8.self)
            #expect(text.hasPrefix("---\n" + service + "---\n" + optedOut + "---\n" + annotatedDeployment + "---\n"), "\(text)")

            let documents = try await K8sInject.yamlDocuments(run.stdout)
            try #require(documents.count == 4)
            let spec = K8sInject.podSpec(documents[3])
            K8sInject.expectAgent(spec)
            let report = K8sInject.container(spec, "report")
            K8sInject.expectInjected(report)
            #expect(report["command"] as? [String] == K8sInject.launcher(arm64: true) + ["/usr/bin/report"])
            #expect(report["args"] as? [String] == ["--since", "24h"])
            #expect(run.stderrLines.contains { $0.contains("skipping Pod \"debug\"") })

            let output = tmp.appending("out.yaml")
            try run.stdout.write(to: URL(fileURLWithPath: output))
            try await K8sInject.validate([output])

            let again = try await K8sInject.run(["-"], stdin: run.stdout)
            #expect(again.stdout == run.stdout, "idempotent")
        }
    }

    @Test("JSON in, JSON out: a List's Pod is injected, its ConfigMap untouched; an opted-out namespace-less Pod stays")
    func jsonList() async throws {
        try await TempDirectory.with("k8s-json") { tmp in
            let list: [String: Any] = [
                "apiVersion": "v1", "kind": "List",
                "items": [
                    ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cfg"], "data": ["a": "1"]],
                    [
                        "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"],
                        "spec": [
                            "affinity": [
                                "nodeAffinity": [
                                    "requiredDuringSchedulingIgnoredDuringExecution": [
                                        "nodeSelectorTerms": [
                                            ["matchExpressions": [["key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]]]]
                                        ]
                                    ]
                                ]
                            ],
                            "containers": [["name": "c", "image": "x:1", "command": ["/x"]]],
                        ],
                    ],
                ],
            ]
            let input = try JSONSerialization.data(withJSONObject: list, options: [.prettyPrinted])
            let run = try await K8sInject.run(["-"], stdin: input)
            #expect(run.succeeded, "\(run)")
            let object = try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any] ?? [:]
            let items = object["items"] as? [[String: Any]] ?? []
            try #require(items.count == 2)
            #expect(NSDictionary(dictionary: items[0]).isEqual(to: (list["items"] as! [[String: Any]])[0]))
            let spec = K8sInject.podSpec(items[1])
            K8sInject.expectAgent(spec)
            #expect(K8sInject.container(spec, "c")["command"] as? [String] == K8sInject.launcher(arm64: true) + ["/x"])
            let output = tmp.appending("out.json")
            try run.stdout.write(to: URL(fileURLWithPath: output))
            try await K8sInject.validate([output])
        }
    }

    @Test("malformed YAML: one error line and no output; a foreign init container and an unreadable image name the object")
    func refusals() async throws {
        try await TempDirectory.with("k8s-refusals") { tmp in
            let output = tmp.appending("out.yaml")
            let malformed = "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n"
            let bad = try await K8sInject.run(["-", "--output", output], stdin: Data(malformed.utf8))
            Expect.oneLineError(bad, mentions: ["stdin", "YAML"])
            Expect.nothingWritten(at: output)

            // Lacework's sidecar hands its agent over by volumesFrom, which pods lack.
            let lacework = try await K8sInject.run(["-", "--output", output, "--preset", "lacework"], stdin: Data(malformed.utf8))
            Expect.oneLineError(lacework, mentions: ["--preset lacework", "volumesFrom"])
            Expect.nothingWritten(at: output)

            // Nesting that would overflow the parser's stack is refused before it is parsed.
            let deep = "a: " + String(repeating: "[", count: 100_000) + "\n"
            let tooDeep = try await K8sInject.run(["-", "--output", output], stdin: Data(deep.utf8))
            Expect.oneLineError(tooDeep, mentions: ["nests deeper"])
            Expect.nothingWritten(at: output)

            let foreign = """
                apiVersion: v1
                kind: Pod
                metadata: {name: p}
                spec:
                  initContainers: [{name: \(K8sInject.initName), image: "mine:1", command: [/bin/true]}]
                  containers: [{name: c, image: "x:1", command: [/x]}]

                """
            let refused = try await K8sInject.run(["-", "--output", output], stdin: Data(foreign.utf8))
            Expect.oneLineError(refused, mentions: ["Pod \"p\"", K8sInject.initName])
            Expect.nothingWritten(at: output)

            let unreadable = """
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: db}
                spec:
                  serviceName: db
                  selector: {matchLabels: {app: db}}
                  template:
                    metadata: {labels: {app: db}}
                    spec:
                      containers: [{name: pg, image: "unreachable.invalid/pg:16"}]

                """
            let missing = try await K8sInject.run(
                ["-", "--output", output, "--insecure-registry", "unreachable.invalid", "--retry-times", "0"],
                stdin: Data(unreadable.utf8))
            Expect.oneLineError(missing, mentions: ["StatefulSet \"db\"", "container \"pg\"", "unreachable.invalid/pg:16"])
            Expect.nothingWritten(at: output)
        }
    }
}
