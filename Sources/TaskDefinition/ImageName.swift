import ImagePatch
import OCI

/// Image names as task definitions write them (`httpd:2.4`, `123.dkr.ecr…/app:1`, `repo@sha256:…`).
/// Only what the patchers need: comparing two spellings of the same name, and pinning by digest.
/// Normalisation is `DockerReference`'s; this adds the splitting that keeps a name as written.
enum ImageName {
    /// Docker's normal form, so `httpd` matches `docker.io/library/httpd:latest`.
    static func normalized(_ text: String) -> String {
        DockerReference.normalized(text)
    }

    /// `name@digest`: the tag goes, since the digest is what ECS pulls.
    static func pinned(_ text: String, digest: Digest) -> String {
        split(text).name + "@" + digest.description
    }

    /// The digest a reference is pinned to, if any.
    static func digest(of text: String) -> Digest? {
        split(text).digest.flatMap { try? Digest(parsing: $0) }
    }

    /// Name, tag and digest; a `docker://` prefix is dropped (task definitions never carry one).
    static func split(_ input: String) -> (name: String, tag: String?, digest: String?) {
        var text = input.hasPrefix("docker://") ? String(input.dropFirst("docker://".count)) : input
        var digest: String?
        if let at = text.firstIndex(of: "@") {
            digest = String(text[text.index(after: at)...])
            text = String(text[..<at])
        }
        var tag: String?
        if let colon = text.lastIndex(of: ":"), !text[colon...].contains("/") {
            tag = String(text[text.index(after: colon)...])
            text = String(text[..<colon])
        }
        return (text, tag, digest)
    }

    /// References of the local transports (imagepatch's and skopeo's local stores), which ECS cannot pull.
    static func isLocalTransport(_ text: String) -> Bool {
        LocalTransport.namesLocalImage(text)
    }
}
