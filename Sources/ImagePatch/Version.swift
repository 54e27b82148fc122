/// imagepatch's version: `--version`, the SBOM's creator and the provenance's builder.
public enum ImagePatchVersion {
    public static let current = "0.1.0"
}
