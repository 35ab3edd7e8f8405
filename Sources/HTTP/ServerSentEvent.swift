/// One Server-Sent Event: its type, its data (lines joined with `\n`), and optional id and retry.
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field; `message` when the stream did not name one.
    public var event: String
    /// The `data:` lines joined with `\n`.
    public var data: String
    /// The `id:` field, if present.
    public var id: String?
    /// The `retry:` field in milliseconds, if present.
    public var retry: Int?

    /// Creates an event.
    public init(event: String = "message", data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }
}
