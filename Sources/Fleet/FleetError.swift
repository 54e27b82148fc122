/// Why a fleet file, a plan or a result file was refused, as one line naming the file and the
/// place in it: `fleet.yaml: images[3].match: …`. Untrusted text (tags, registry answers) in
/// `reason` is escaped by whoever prints it (`StderrOutput`), so it is kept here as it came.
public struct FleetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file as the user named it.
    public let file: String
    /// Where in it: `images[3].match`, `agent`, or a line number (`7`); empty for the whole file.
    public let place: String
    public let reason: String

    public init(file: String, place: String, _ reason: String) {
        self.file = file
        self.place = place
        self.reason = reason
    }

    public var description: String {
        place.isEmpty ? "\(file): \(reason)" : (place.first!.isNumber ? "\(file):\(place): \(reason)" : "\(file): \(place): \(reason)")
    }
}
