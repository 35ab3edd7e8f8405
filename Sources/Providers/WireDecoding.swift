import Foundation

extension KeyedDecodingContainer {
    /// The value under `key` when it is there and of type `T`, else `nil`. Providers and the
    /// servers that copy them differ in what they send beside the fields Switchboard reads: a
    /// field of another type is read as missing, not as a broken answer.
    func lenient<T: Decodable>(_ type: T.Type, forKey key: Key) -> T? {
        (try? decodeIfPresent(type, forKey: key)) ?? nil
    }
}

/// A token count from a usage object: a whole number that fits an `Int`, or unreadable (a
/// fraction, a string, a number too large). One unreadable count makes the whole usage
/// unreadable and the answer's usage is estimated; negative and absurd whole numbers are read as
/// they are and bounded by the Gateway (`UsageCheck`).
enum WireCount: Decodable, Sendable {
    case count(Int)
    case unreadable

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let count = try? container.decode(Int.self) {
            self = .count(count)
        } else {
            self = .unreadable
        }
    }
}

/// Decodes a wire value, or says it is not one.
enum Wire {
    static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) -> T? {
        // Not JSON, or not the shape at all: the caller reports what it got instead.
        try? JSONDecoder().decode(type, from: Data(bytes))
    }
}

/// A field whose presence is all that matters (an `error` object of whatever shape).
struct Present: Decodable, Sendable {
    init(from decoder: any Decoder) throws {}
}

/// An error as providers send it: OpenAI `{"error": {"message", "type", "code"}}`, Anthropic
/// `{"type": "error", "error": {…}}`, some compatible servers `{"error": "text"}` or the fields at
/// the top level. `code` may be a string or a number.
struct ErrorEnvelope: Decodable {
    /// The top level's `type` (`error` for Anthropic's).
    var type: String?
    /// Whether `error` is there at all (an object, a string, anything but `null`).
    var hasError: Bool
    /// `error` when it is a plain string.
    var errorText: String?
    /// The error object's fields, or the top level's when `error` is not an object.
    var fields: Fields
    /// An answer's fields: a body with these is an answer, not an error.
    var hasChoices: Bool
    var hasContent: Bool

    struct Fields: Decodable {
        var message: String?
        var type: String?
        var code: String?

        enum CodingKeys: String, CodingKey { case message, type, code }

        init(from decoder: any Decoder) throws {
            let keyed = try decoder.container(keyedBy: CodingKeys.self)
            message = keyed.lenient(String.self, forKey: .message)
            type = keyed.lenient(String.self, forKey: .type)
            code = keyed.lenient(String.self, forKey: .code) ?? keyed.lenient(Int.self, forKey: .code).map(String.init)
        }
    }

    enum CodingKeys: String, CodingKey { case type, error, choices, content }

    init(from decoder: any Decoder) throws {
        let keyed = try decoder.container(keyedBy: CodingKeys.self)
        type = keyed.lenient(String.self, forKey: .type)
        hasError = keyed.lenient(Present.self, forKey: .error) != nil
        errorText = keyed.lenient(String.self, forKey: .error)
        fields = try keyed.lenient(Fields.self, forKey: .error) ?? Fields(from: decoder)
        hasChoices = keyed.lenient(Present.self, forKey: .choices) != nil
        hasContent = keyed.lenient(Present.self, forKey: .content) != nil
    }
}
