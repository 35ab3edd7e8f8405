import Foundation

/// Where a message came from.
public enum Channel: String, Sendable, Hashable, CaseIterable, Codable {
    case telegram, console, cli
}

/// A conversation: a Telegram chat (`tg:<chat id>`), the console's chat box (`console`), or a
/// named conversation of `switchboard chat` (`cli:<name>`).
public struct ConversationID: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Wraps a stored identifier.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The conversation of a Telegram chat.
    public static func telegram(chat: Int64) -> ConversationID { ConversationID(rawValue: "tg:\(chat)") }
    /// The console's test chat.
    public static let console = ConversationID(rawValue: "console")
    /// A named conversation of `switchboard chat`.
    public static func cli(_ name: String) -> ConversationID { ConversationID(rawValue: "cli:\(name)") }

    public var description: String { rawValue }
}

/// One request through the pipeline, from intake to the persisted answer.
public struct RequestID: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Wraps an identifier.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A new unique identifier: a random (version 4) UUID in lower case.
    ///
    /// Drawn from the system generator (`getrandom`), not `UUID()`, which on Linux opens and reads
    /// `/dev/urandom` for every identifier: a file open on every request's path.
    public static func make() -> RequestID {
        var generator = SystemRandomNumberGenerator()
        let high = (generator.next() as UInt64) & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000  // version 4
        let low = (generator.next() as UInt64) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000  // RFC 4122 variant
        // Spelled straight into the string's own storage: one allocation per identifier.
        let text = String(unsafeUninitializedCapacity: 36) { text in
            var index = 0
            for position in 0..<32 {
                if position == 8 || position == 12 || position == 16 || position == 20 {
                    text[index] = UInt8(ascii: "-")
                    index += 1
                }
                let word = position < 16 ? high : low
                let nibble = UInt8(truncatingIfNeeded: word >> UInt64(60 - 4 * (position % 16)) & 0xF)
                text[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                index += 1
            }
            return index
        }
        return RequestID(rawValue: text)
    }

    public var description: String { rawValue }
}

/// How much a request matters: high gets the best model available, low the cheapest adequate one.
public enum RequestPriority: String, Sendable, Hashable, CaseIterable, Codable {
    case low, normal, high
}

/// A budget window, calendar-aligned in UTC.
public enum QuotaWindow: String, Sendable, Hashable, CaseIterable, Codable {
    case hourly, daily
}
