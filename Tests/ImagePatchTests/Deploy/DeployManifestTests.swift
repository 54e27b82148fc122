import Foundation
import Testing

/// The deploy/ examples (a Kubernetes Indexed Job, an Argo Workflow, a GitHub Actions workflow), checked
/// with validators written outside this project: kubernetes-validate (the Kubernetes OpenAPI schemas it
/// ships), check-jsonschema's vendored SchemaStore schema for GitHub workflows, and the Argo Workflows
/// models hera generates from Argo's OpenAPI definition. Each validator is also given a deliberately
/// broken copy that it must refuse, so a validator that accepts anything cannot make these tests pass.
@Suite("deploy/ examples")
struct DeployManifestTests {
    static let deploy = RepositoryPaths.root + "/deploy"
    static let kubernetesDirectory = deploy + "/kubernetes"
    static let argoWorkflow = deploy + "/argo/fleet-workflow.yaml"
    static let githubWorkflow = deploy + "/github/fleet.yml"

    /// The first release with `backoffLimitPerIndex` generally available, and the newest one whose
    /// schemas kubernetes-validate 1.37 ships.
    static let kubernetesVersions = ["1.33.0", "1.37.0"]

    static let kubernetesManifests: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: kubernetesDirectory)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    }()

    // MARK: Kubernetes

    @Test("deploy/kubernetes holds the Indexed Job, the plan ConfigMap and the dockerconfigjson Secret")
    func kubernetesKinds() async throws {
        var kinds: [String] = []
        for name in Self.kubernetesManifests {
            kinds += try await DeployFiles.yamlDocuments(Self.kubernetesDirectory + "/" + name).compactMap { $0["kind"] as? String }
        }
        #expect(kinds.sorted() == ["ConfigMap", "Job", "Secret"])
    }

    @Test("kubernetes-validate --strict accepts every manifest", arguments: kubernetesManifests, kubernetesVersions)
    func kubernetesValidateAccepts(_ name: String, _ version: String) async throws {
        let path = Self.kubernetesDirectory + "/" + name
        let documents = try await DeployFiles.yamlDocuments(path)
        let validated = try await DeployFiles.kubernetesValidate(path, version: version)
        #expect(validated.succeeded, "\(validated)")
        // One "passed" line per document: a document the validator skipped (an unknown kind) does not count.
        let passed = validated.stdoutLines.filter { $0.hasPrefix("INFO ") && $0.contains(" passed for resource ") }
        #expect(passed.count == documents.count, "\(validated)")
        #expect(!validated.stdoutText.contains("WARN") && !validated.stderrText.contains("WARN"), "\(validated)")
    }

    static let brokenJobs: [BrokenCopy] = [
        BrokenCopy(
            "completions is not an integer", "\n  completions: 4\n", "\n  completions: four\n",
            refusal: "spec.completions: 'four' is not of type 'integer'"),
        BrokenCopy(
            "a misspelt field (found only with --strict)", "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true",
            refusal: "'readOnlyRootFileSystem' was unexpected"),
        BrokenCopy(
            "a volume with no source", "        - name: cache\n          emptyDir:\n            sizeLimit: 3Gi\n",
            "        - name: cache\n          emptyDir: 3Gi\n", refusal: "'3Gi' is not of type 'object'"),
    ]

    @Test("kubernetes-validate refuses a broken copy of the Job", arguments: brokenJobs)
    func kubernetesValidateRefuses(_ broken: BrokenCopy) async throws {
        try await TempDirectory.with("deploy-k8s") { tmp in
            let copy = try broken.write(from: Self.kubernetesDirectory + "/fleet-job.yaml", into: tmp)
            let validated = try await DeployFiles.kubernetesValidate(copy, version: Self.kubernetesVersions[0])
            #expect(!validated.succeeded, "\(validated)")
            #expect(validated.stdoutText.contains(broken.refusal), "\(validated)")
        }
    }

    @Test("the Job's shard count, plan, auth file and cache match the manifests beside it")
    func jobFitsTogether() async throws {
        var read: [[String: Any]] = []
        for name in Self.kubernetesManifests {
            read += try await DeployFiles.yamlDocuments(Self.kubernetesDirectory + "/" + name)
        }
        let documents = read
        func document(_ kind: String, named name: String?) -> [String: Any]? {
            documents.first { $0["kind"] as? String == kind && ($0["metadata"] as? [String: Any])?["name"] as? String == name }
        }
        let job = try #require(documents.first { $0["kind"] as? String == "Job" })
        let spec = try #require(job["spec"] as? [String: Any])
        #expect(spec["completionMode"] as? String == "Indexed")
        let completions = try #require(spec["completions"] as? Int)
        let parallelism = try #require(spec["parallelism"] as? Int)
        #expect(parallelism >= 1 && parallelism <= completions)
        #expect(spec["backoffLimitPerIndex"] is Int)
        let podSpec = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        #expect(podSpec["restartPolicy"] as? String == "Never", "backoffLimitPerIndex needs restartPolicy Never")
        #expect((podSpec["securityContext"] as? [String: Any])?["runAsNonRoot"] as? Bool == true)
        let container = try #require((podSpec["containers"] as? [[String: Any]])?.first)
        let command = ((container["command"] as? [String]) ?? []) + ((container["args"] as? [String]) ?? [])
        #expect(Array(command.prefix(3)) == ["imagepatch", "fleet", "run"], "\(command)")
        #expect(DeployFiles.value(after: "--shard", in: command) == "k8s")

        // `--shard k8s` takes the count from IMAGEPATCH_SHARD_COUNT: it has to be the Job's completions.
        let environment = (container["env"] as? [[String: Any]]) ?? []
        let shardCount = environment.first { $0["name"] as? String == "IMAGEPATCH_SHARD_COUNT" }?["value"] as? String
        #expect(shardCount == String(completions))

        let pod = PodVolumes(container: container, podSpec: podSpec)

        // The plan: a ConfigMap key holding a JSON array of work items.
        let planPath = try #require(command.dropFirst(3).first)
        let plan = try #require(pod.volume(holding: planPath), "no volume holds \(planPath)")
        let planSource = try #require(plan.volume["configMap"] as? [String: Any], "the plan comes from a ConfigMap")
        let configMap = try #require(document("ConfigMap", named: planSource["name"] as? String))
        let planKey = try #require(PodVolumes.key(for: plan.relativePath, in: planSource))
        let planText = try #require((configMap["data"] as? [String: Any])?[planKey] as? String)
        let items = try #require(try JSONSerialization.jsonObject(with: Data(planText.utf8)) as? [[String: Any]])
        #expect(!items.isEmpty)
        for item in items {
            #expect(Set(item.keys) == ["id", "source", "sourceTag", "agent", "target", "options"], "\(item)")
            #expect(
                (item["source"] as? String)?.contains("@sha256:") == true && (item["agent"] as? String)?.contains("@sha256:") == true,
                "a plan pins the source and the agent by digest: \(item)")
        }

        // The auth file: the .dockerconfigjson key of a kubernetes.io/dockerconfigjson Secret, read-only.
        let authPath = try #require(DeployFiles.value(after: "--authfile", in: command))
        let auth = try #require(pod.volume(holding: authPath), "no volume holds \(authPath)")
        #expect(auth.mount["readOnly"] as? Bool == true)
        let secretSource = try #require(auth.volume["secret"] as? [String: Any], "the auth file comes from a Secret")
        let secret = try #require(document("Secret", named: secretSource["secretName"] as? String))
        #expect(secret["type"] as? String == "kubernetes.io/dockerconfigjson")
        #expect(PodVolumes.key(for: auth.relativePath, in: secretSource) == ".dockerconfigjson")
        let authText = try #require((secret["stringData"] as? [String: Any])?[".dockerconfigjson"] as? String)
        let authJSON = try JSONSerialization.jsonObject(with: Data(authText.utf8)) as? [String: Any]
        #expect(authJSON?["auths"] is [String: Any])

        // The cache and the temporary directory are writable emptyDirs; the root filesystem is not writable.
        let cachePath = try #require(DeployFiles.value(after: "--cache-dir", in: command))
        let cache = try #require(pod.volume(holding: cachePath + "/entry"), "no volume holds \(cachePath)")
        #expect(cache.volume["emptyDir"] != nil && cache.mount["readOnly"] as? Bool != true)
        let temporary = environment.first { $0["name"] as? String == "TMPDIR" }?["value"] as? String ?? "/tmp"
        #expect(pod.volume(holding: temporary + "/file")?.volume["emptyDir"] != nil, "TMPDIR \(temporary) is not on an emptyDir")
        let security = (container["securityContext"] as? [String: Any]) ?? [:]
        #expect(security["readOnlyRootFilesystem"] as? Bool == true)
        #expect(security["allowPrivilegeEscalation"] as? Bool == false)

        // Memory: requested and limited, above the tool's peak RSS target of 100 MB.
        let resources = (container["resources"] as? [String: Any]) ?? [:]
        for kind in ["requests", "limits"] {
            let memory = (resources[kind] as? [String: Any])?["memory"] as? String
            let bytes = try #require(memory.flatMap(DeployFiles.quantityBytes), "\(kind).memory: \(memory ?? "missing")")
            #expect(bytes >= 100_000_000, "\(kind).memory \(memory ?? "")")
        }
    }

    // MARK: GitHub Actions

    @Test("check-jsonschema accepts the GitHub Actions workflow (SchemaStore's github-workflows schema, vendored)")
    func githubWorkflowAccepted() async throws {
        let validated = try await DeployFiles.checkGitHubWorkflow(Self.githubWorkflow)
        #expect(validated.succeeded, "\(validated)")
        #expect(validated.stdoutText.contains("ok -- validation done"), "\(validated)")
    }

    static let brokenWorkflows: [BrokenCopy] = [
        BrokenCopy(
            "a job without runs-on", "  plan:\n    runs-on: ubuntu-latest\n", "  plan:\n    run-on: ubuntu-latest\n",
            refusal: "'runs-on' is a required property"),
        BrokenCopy(
            "a permission level that does not exist", "\n  contents: read\n", "\n  contents: readonly\n",
            refusal: "'readonly' is not one of ['read', 'write', 'none']"),
    ]

    @Test("check-jsonschema refuses a broken copy of the GitHub Actions workflow", arguments: brokenWorkflows)
    func githubWorkflowRefused(_ broken: BrokenCopy) async throws {
        try await TempDirectory.with("deploy-gha") { tmp in
            let copy = try broken.write(from: Self.githubWorkflow, into: tmp)
            let validated = try await DeployFiles.checkGitHubWorkflow(copy)
            #expect(!validated.succeeded, "\(validated)")
            #expect(validated.stdoutText.contains(broken.refusal), "\(validated)")
        }
    }

    @Test("the GitHub Actions matrix covers shards 0..<N, and N is the matrix's size")
    func githubShards() async throws {
        let workflow = try #require(try await DeployFiles.yamlDocuments(Self.githubWorkflow).first)
        let jobs = try #require(workflow["jobs"] as? [String: Any])
        let patch = try #require(jobs["patch"] as? [String: Any])
        let matrix = try #require((patch["strategy"] as? [String: Any])?["matrix"] as? [String: Any])
        #expect(Set(matrix.keys) == ["shard"], "a second matrix dimension would change strategy.job-total")
        let shards = try #require(matrix["shard"] as? [Int])
        #expect(shards == Array(0..<shards.count) && shards.count >= 2)
        let runs = ((patch["steps"] as? [[String: Any]]) ?? []).compactMap { $0["run"] as? String }
        #expect(runs.contains { $0.contains("--shard ${{ matrix.shard }}/${{ strategy.job-total }}") }, "\(runs)")
        let summarize = try #require(jobs["summarize"] as? [String: Any])
        #expect((summarize["needs"] as? [String])?.contains("patch") == true)
    }

    // MARK: Argo Workflows

    @Test("the Argo Workflow passes hera's Argo models and the structure check")
    func argoWorkflowAccepted() async throws {
        let checked = try await DeployFiles.checkArgoWorkflow(Self.argoWorkflow)
        #expect(checked.succeeded, "\(checked)")
        let report = try #require(try JSONSerialization.jsonObject(with: checked.stdout) as? [String: Any], "\(checked)")
        #expect(report["templates"] as? [String] == ["fleet", "patch-item", "plan", "summarize"])
        #expect(report["withParam"] as? [String] == ["patch"])
    }

    static let brokenArgoWorkflows: [BrokenCopy] = [
        BrokenCopy(
            "a misspelt template field (Argo's schema)", "      retryStrategy:\n", "      retryStrategies:\n",
            refusal: "retryStrategies\n  Extra inputs are not permitted"),
        BrokenCopy(
            "parallelism is not an integer (Argo's schema)", "\n  parallelism: 10\n", "\n  parallelism: ten\n",
            refusal: "spec.parallelism"),
        BrokenCopy(
            "a step names a template that does not exist", "template: patch-item\n", "template: patch-items\n",
            refusal: "names template patch-items, which does not exist"),
        BrokenCopy(
            "withParam over an output the plan step does not have", "withParam: \"{{steps.plan.outputs.parameters.plan}}\"",
            "withParam: \"{{steps.plan.outputs.parameters.items}}\"", refusal: "has no output parameter items"),
    ]

    @Test("the Argo check refuses a broken copy of the Workflow", arguments: brokenArgoWorkflows)
    func argoWorkflowRefused(_ broken: BrokenCopy) async throws {
        try await TempDirectory.with("deploy-argo") { tmp in
            let copy = try broken.write(from: Self.argoWorkflow, into: tmp)
            let checked = try await DeployFiles.checkArgoWorkflow(copy)
            #expect(!checked.succeeded, "\(checked)")
            #expect(checked.stderrText.contains(broken.refusal), "\(checked)")
        }
    }

    // MARK: imagepatch invocations

    @Test("every imagepatch invocation in deploy/ uses only `fleet plan|run|summarize` and their flags")
    func invocationsUseKnownFlags() async throws {
        let invocations = try await FleetInvocation.scan(Self.deploy)
        for invocation in invocations {
            let problems = FleetInvocation.problems(invocation.arguments)
            #expect(problems.isEmpty, "\(invocation): \(problems)")
        }
        // The scan found the commands each example runs, so an empty scan cannot pass.
        func actions(in file: String) -> Set<String> {
            Set(invocations.filter { $0.file == file }.compactMap { $0.arguments.dropFirst().first })
        }
        #expect(actions(in: "kubernetes/fleet-job.yaml").isSuperset(of: ["run"]))
        #expect(actions(in: "argo/fleet-workflow.yaml") == ["plan", "run", "summarize"])
        #expect(actions(in: "github/fleet.yml") == ["plan", "run", "summarize"])
        let flags = Set(invocations.flatMap(\.arguments).filter { $0.hasPrefix("--") })
        #expect(flags.isSuperset(of: ["--shard", "--item", "--authfile", "--cache-dir"]), "\(flags)")
    }

    @Test("every flag the deploy files pass is one the built binary's `fleet ACTION --help` lists")
    func invocationsMatchTheBinary() async throws {
        let binary = try RepositoryPaths.binary()
        let invocations = try await FleetInvocation.scan(Self.deploy)
        var listed: [String: Set<String>] = [:]
        for action in FleetInvocation.valueFlags.keys.sorted() {
            let help = try await ProcessRunner.check(binary, ["fleet", action, "--help"])
            listed[action] = FleetInvocation.helpFlags(help.stdoutText + help.stderrText)
            #expect(listed[action]?.contains("--help") == true, "the help of fleet \(action) lists no options: \(help)")
        }
        for invocation in invocations {
            guard let action = invocation.arguments.dropFirst().first, let flags = listed[action] else { continue }
            let used = invocation.arguments.filter { $0.hasPrefix("--") }.map { String($0.split(separator: "=")[0]) }
            #expect(Set(used).isSubset(of: flags), "\(invocation): imagepatch fleet \(action) --help lists \(flags.sorted())")
        }
    }

    @Test("the invocation scan finds and refuses unknown subcommands and flags")
    func invocationScanRefuses() async throws {
        try await TempDirectory.with("deploy-scan") { tmp in
            let manifest = """
                # imagepatch fleet apply fleet.yaml
                command: [imagepatch, fleet, run, /fleet/plan.json, --shards, k8s]
                run: >-
                  imagepatch fleet run plan.json
                  --shard ${{ matrix.shard }}
                  > results.jsonl
                args: ["imagepatch patch --source a --target b"]
                ok: imagepatch fleet summarize results/*.jsonl --json

                """
            try manifest.write(toFile: tmp.appending("bad.yaml"), atomically: true, encoding: .utf8)
            try "Run `imagepatch fleet run plan.json --jobs many` and `imagepatch fleet plan`.\n"
                .write(toFile: tmp.appending("README.md"), atomically: true, encoding: .utf8)
            let found = try await FleetInvocation.scan(tmp.path)
            let refused = found.filter { !FleetInvocation.problems($0.arguments).isEmpty }.map { $0.arguments.joined(separator: " ") }
            #expect(
                Set(refused) == [
                    "fleet apply fleet.yaml",
                    "fleet run /fleet/plan.json --shards k8s",
                    "fleet run plan.json --shard ${{matrix.shard}}",
                    "patch --source a --target b",
                    "fleet run plan.json --jobs many",
                    "fleet plan",
                ], "\(found)")
            #expect(found.map { $0.arguments.joined(separator: " ") }.contains("fleet summarize results/*.jsonl --json"), "\(found)")
        }
    }
}

/// A copy of a deploy file with one piece of text replaced, and what its validator must say about it.
struct BrokenCopy: Sendable, CustomTestStringConvertible {
    let label: String
    let original: String
    let replacement: String
    let refusal: String

    init(_ label: String, _ original: String, _ replacement: String, refusal: String) {
        self.label = label
        self.original = original
        self.replacement = replacement
        self.refusal = refusal
    }

    var testDescription: String { label }

    /// Writes the copy into `directory` under the original's name; the text to replace must occur exactly once.
    func write(from path: String, into directory: TempDirectory) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let pieces = text.components(separatedBy: original)
        try #require(pieces.count == 2, "\(path) must contain \(original.debugDescription) exactly once")
        let copy = directory.appending(URL(fileURLWithPath: path).lastPathComponent)
        try pieces.joined(separator: replacement).write(toFile: copy, atomically: true, encoding: .utf8)
        return copy
    }
}

/// Runs the validators and reads the YAML files (through python3 and PyYAML, as the validators do).
enum DeployFiles {
    static func kubernetesValidate(_ path: String, version: String) async throws -> ProcessResult {
        try await ProcessRunner.run("python3", ["-m", "kubernetes_validate", "--strict", "--kubernetes-version", version, path])
    }

    static func checkGitHubWorkflow(_ path: String) async throws -> ProcessResult {
        try await ProcessRunner.run("python3", ["-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", path])
    }

    static func checkArgoWorkflow(_ path: String) async throws -> ProcessResult {
        try await ProcessRunner.run("python3", ["-c", argoCheck, path])
    }

    /// Every document of a YAML file, as JSON objects.
    static func yamlDocuments(_ path: String) async throws -> [[String: Any]] {
        let script = """
            import json, sys, yaml
            with open(sys.argv[1]) as f:
                json.dump([d for d in yaml.safe_load_all(f) if d is not None], sys.stdout)
            """
        let result = try await ProcessRunner.check("python3", ["-c", script, path])
        return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]], "\(path)")
    }

    /// The argument following `flag` in an argument list.
    static func value(after flag: String, in arguments: [String]) -> String? {
        guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    /// A Kubernetes memory quantity such as `128Mi` or `1G`, in bytes; nil for forms this check does not read.
    static func quantityBytes(_ quantity: String) -> Double? {
        let units: [(String, Double)] = [
            ("Ki", 1024), ("Mi", 1024 * 1024), ("Gi", 1024 * 1024 * 1024),
            ("k", 1e3), ("M", 1e6), ("G", 1e9), ("", 1),
        ]
        for (suffix, factor) in units where quantity.hasSuffix(suffix) {
            if let number = Double(quantity.dropLast(suffix.count)) { return number * factor }
        }
        return nil
    }

    /// Checks an Argo Workflow file. check-jsonschema ships no Argo schema, so the schema used is
    /// Argo's OpenAPI definition as the hera package generates it into pydantic models
    /// (`hera.workflows.models`); unknown fields are refused by switching the models' base to
    /// `extra="forbid"` before they are imported. Then the structure Argo's controller would check on
    /// submission: the entrypoint and every step's template exist, and each `withParam` reads an output
    /// parameter that the step it names declares. Prints a JSON report, or the problems on stderr.
    static let argoCheck = #"""
        import json, re, sys, yaml
        import hera, pydantic
        import hera.shared._pydantic as hera_base
        hera_base.APIBaseModel.model_config["extra"] = "forbid"
        from hera.workflows.models.io.argoproj.workflow.v1alpha1 import Workflow

        problems = []
        with open(sys.argv[1]) as f:
            documents = [d for d in yaml.safe_load_all(f) if d is not None]
        if len(documents) != 1:
            sys.exit(f"expected one YAML document, found {len(documents)}")
        document = documents[0]
        if document.get("apiVersion") != "argoproj.io/v1alpha1" or document.get("kind") != "Workflow":
            problems.append("not an argoproj.io/v1alpha1 Workflow")
        try:
            Workflow.model_validate(document)
        except pydantic.ValidationError as error:
            problems.append(str(error))

        spec = document.get("spec") or {}
        templates = {t.get("name"): t for t in spec.get("templates") or []}
        if spec.get("entrypoint") not in templates:
            problems.append(f"entrypoint {spec.get('entrypoint')} is not a template")
        fan_outs = []
        for template in templates.values():
            steps = [step for group in template.get("steps") or [] for step in group]
            steps += (template.get("dag") or {}).get("tasks") or []
            by_name = {step.get("name"): step for step in steps}
            for step in steps:
                if step.get("template") not in templates:
                    problems.append(f"step {step.get('name')} names template {step.get('template')}, which does not exist")
                if "withParam" not in step:
                    continue
                fan_outs.append(step["name"])
                source = re.fullmatch(r"\{\{(?:steps|tasks)\.([\w-]+)\.outputs\.parameters\.([\w-]+)\}\}", step["withParam"])
                if not source:
                    problems.append(f"step {step['name']}: withParam is not an output parameter of a step: {step['withParam']}")
                    continue
                producer = templates.get((by_name.get(source[1]) or {}).get("template")) or {}
                outputs = [p.get("name") for p in (producer.get("outputs") or {}).get("parameters") or []]
                if source[2] not in outputs:
                    problems.append(f"step {step['name']}: step {source[1]} has no output parameter {source[2]}")
        if not fan_outs:
            problems.append("no step fans out with withParam")
        if problems:
            sys.exit("\n".join(problems))
        json.dump({"templates": sorted(templates), "withParam": fan_outs, "hera": hera.__version__}, sys.stdout)
        """#
}

/// The volume a container path lives on.
struct PodVolumes {
    let mounts: [[String: Any]]
    let volumes: [[String: Any]]

    init(container: [String: Any], podSpec: [String: Any]) {
        mounts = (container["volumeMounts"] as? [[String: Any]]) ?? []
        volumes = (podSpec["volumes"] as? [[String: Any]]) ?? []
    }

    /// The deepest mount above `path`, its volume, and the path below the mount point.
    func volume(holding path: String) -> (mount: [String: Any], volume: [String: Any], relativePath: String)? {
        let candidates = mounts.compactMap { mount -> (mount: [String: Any], point: String)? in
            guard let point = mount["mountPath"] as? String, path.hasPrefix(point + "/") else { return nil }
            return (mount, point)
        }
        guard let deepest = candidates.max(by: { $0.point.count < $1.point.count }),
            let volume = volumes.first(where: { $0["name"] as? String == deepest.mount["name"] as? String })
        else { return nil }
        return (deepest.mount, volume, String(path.dropFirst(deepest.point.count + 1)))
    }

    /// The ConfigMap or Secret key projected at `relativePath` (its `items`, or the key itself).
    static func key(for relativePath: String, in source: [String: Any]) -> String? {
        guard let items = source["items"] as? [[String: Any]] else { return relativePath }
        return items.first { $0["path"] as? String == relativePath }?["key"] as? String
    }
}

/// One `imagepatch …` command line found in the deploy files.
struct FleetInvocation: Sendable, CustomStringConvertible {
    let file: String
    /// The words after `imagepatch`.
    let arguments: [String]

    var description: String { "\(file): imagepatch \(arguments.joined(separator: " "))" }

    /// The fleet interface the examples may use: the actions, the flags that take a value, the
    /// switches, and how many positional arguments each action takes.
    static let valueFlags: [String: Set<String>] = [
        "plan": ["--authfile"],
        "run": ["--shard", "--item", "--jobs", "--cache-dir", "--authfile"],
        "summarize": ["--plan"],
    ]
    static let switches: [String: Set<String>] = ["plan": [], "run": [], "summarize": ["--json"]]
    static let positionalCounts: [String: ClosedRange<Int>] = ["plan": 1...1, "run": 1...1, "summarize": 1...Int.max]

    /// What is wrong with one command line; empty when it fits the interface.
    static func problems(_ arguments: [String]) -> [String] {
        guard arguments.first == "fleet" else { return ["not a fleet command: \(arguments.first ?? "nothing")"] }
        guard let action = arguments.dropFirst().first, let flags = valueFlags[action], let onOff = switches[action],
            let counts = positionalCounts[action]
        else {
            return ["unknown fleet action \(arguments.dropFirst().first ?? "(none)")"]
        }
        var problems: [String] = []
        var positionals = 0
        var words = Array(arguments.dropFirst(2))[...]
        while let word = words.popFirst() {
            guard word.hasPrefix("-") else {
                positionals += 1
                continue
            }
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            let flag = parts[0]
            if onOff.contains(flag) {
                if parts.count == 2 { problems.append("\(flag) takes no value") }
            } else if flags.contains(flag) {
                guard let value = parts.count == 2 ? parts[1] : words.popFirst() else {
                    problems.append("\(flag) needs a value")
                    continue
                }
                if let problem = Self.problem(flag: flag, value: value) { problems.append(problem) }
            } else {
                problems.append("unknown flag \(flag) for fleet \(action)")
            }
        }
        if !counts.contains(positionals) { problems.append("fleet \(action) takes \(counts) positional arguments, not \(positionals)") }
        return problems
    }

    /// The long options an argument-parser `--help` text lists (`  --shard <I/N|k8s>`, `  -v, --verbose`).
    static func helpFlags(_ help: String) -> Set<String> {
        var flags: Set<String> = []
        for line in help.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let first = words.first, first.hasPrefix("-") else { continue }
            for word in words.prefix(2) where word.hasPrefix("--") {
                flags.insert(String(word.trimmingCharacters(in: CharacterSet(charactersIn: ","))))
            }
        }
        return flags
    }

    /// A value filled in by the engine (`${{ … }}`, `{{ … }}`, `$VAR`) is taken as well formed.
    static func isPlaceholder(_ value: String) -> Bool {
        value.hasPrefix("${{") || value.hasPrefix("{{") || value.hasPrefix("$")
    }

    static func problem(flag: String, value: String) -> String? {
        func isCount(_ part: Substring) -> Bool {
            isPlaceholder(String(part)) || (!part.isEmpty && part.allSatisfy { ("0"..."9").contains($0) })
        }
        switch flag {
        case "--shard":
            let parts = value.split(separator: "/", omittingEmptySubsequences: false)
            return value == "k8s" || (parts.count == 2 && parts.allSatisfy(isCount)) ? nil : "--shard \(value) is neither I/N nor k8s"
        case "--jobs":
            return isCount(Substring(value)) ? nil : "--jobs \(value) is not a number"
        default:
            return value.isEmpty ? "\(flag) has an empty value" : nil
        }
    }

    /// Every invocation in the YAML and Markdown files under `directory`: in YAML, the string values
    /// (block scalars included, folded as YAML folds them), the lists that start with `imagepatch`
    /// (a container's command), and the comment lines; in Markdown, every line. An invocation is the
    /// word `imagepatch` followed by a word, up to the end of the shell command (`>`, `|`, `;`, `&&`)
    /// or of the Markdown code span.
    static func scan(_ directory: String) async throws -> [FleetInvocation] {
        let result = try await ProcessRunner.check("python3", ["-c", scanner, directory])
        let found = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]])
        return found.compactMap { entry in
            guard let file = entry["file"] as? String, let arguments = entry["arguments"] as? [String] else { return nil }
            return FleetInvocation(file: file, arguments: arguments)
        }
    }

    static let scanner = #"""
        import json, os, re, shlex, sys, yaml

        START = re.compile(r"(?<![\w./$-])imagepatch[ \t]+(?=[\w-])")

        def words(text):
            # `${{ matrix.shard }}` stays one word.
            text = re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: "${{" + m.group(1).replace(" ", "") + "}}", text)
            lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            lexer.commenters = ""
            out = []
            try:
                for word in lexer:
                    if word and set(word) <= set("();<>|&"):
                        break
                    out.append(word)
            except ValueError:
                pass
            return out

        def from_text(text):
            found = []
            for line in text.splitlines():
                for match in START.finditer(line):
                    found.append(words(line[match.end():].split("`")[0]))
            return found

        def from_value(value, found):
            if isinstance(value, dict):
                for item in value.values():
                    from_value(item, found)
            elif isinstance(value, list):
                if value and value[0] == "imagepatch" and all(isinstance(v, str) for v in value):
                    found.append(value[1:])
                else:
                    for item in value:
                        from_value(item, found)
            elif isinstance(value, str):
                found.extend(from_text(value))

        root = sys.argv[1]
        results = []
        for directory, _, names in sorted(os.walk(root)):
            for name in sorted(names):
                path = os.path.join(directory, name)
                with open(path) as f:
                    text = f.read()
                found = []
                if name.endswith((".yaml", ".yml")):
                    for document in yaml.safe_load_all(text):
                        from_value(document, found)
                    found.extend(from_text("\n".join(l for l in text.splitlines() if l.lstrip().startswith("#"))))
                elif name.endswith(".md"):
                    found.extend(from_text(text))
                for arguments in found:
                    results.append({"file": os.path.relpath(path, root), "arguments": arguments})
        json.dump(results, sys.stdout)
        """#
}
