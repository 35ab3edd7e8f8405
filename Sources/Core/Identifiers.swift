import Foundation
import Synchronization

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
    /// Unique, not secret (identifiers only tie a request's rows, events and log lines together):
    /// each is the next count through a bijective mixer keyed by 128 bits drawn once per process
    /// from the system generator, so no two in a process are alike and processes differ as random
    /// UUIDs do, without a system call per identifier. (`UUID()` on Linux opens and reads
    /// `/dev/urandom` for every identifier; `getrandom` was still two system calls a request.)
    public static func make() -> RequestID {
        let count = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        let high = mix(seed.high &+ count &* 0x9E37_79B9_7F4A_7C15) & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000  // version 4
        let low = mix(seed.low &+ count &* 0xD1B5_4A32_D192_ED03) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000  // RFC 4122 variant
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

    private static let seed: (high: UInt64, low: UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()
    private static let counter = Atomic<UInt64>(0)

    /// SplitMix64's finalizer: a bijection on 64 bits that scatters consecutive inputs.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How much a request matters: high gets the best model available, low the cheapest adequate one.
public enum RequestPriority: String, Sendable, Hashable, CaseIterable, Codable {
    case low, normal, high
}

/// A budget window, calendar-aligned in UTC.
public enum QuotaWindow: String, Sendable, Hashable, CaseIterable, Codable {
    case hourly, daily
}
