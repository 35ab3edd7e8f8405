/// Why the database could not be used. Always names the file and says what to do.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: Sendable, Hashable {
        case cannotCreateDirectory, readOnly, corrupt, diskFull, cannotOpen, migrationFailed, queryFailed
    }

    /// The kind of failure.
    public let code: Code
    /// The database file.
    public let path: String
    /// What happened and what to do.
    public let message: String

    init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { message }
}
