/// What Switchboard reads of an Anthropic message and of its stream events (`message_start`
/// carries a `message`, `content_block_delta` a text `delta`, `message_delta` the stop reason and
/// usage, `error` an error object).
struct AnthropicEvent: Decodable {
    var type: String?
    var model: String?
    var content: [Block]?
    var usage: Usage?
    var stopReason: String?
    var message: Message?
    var delta: Delta?

    struct Block: Decodable {
        var type: String?
        var text: String?

        enum CodingKeys: String, CodingKey { case type, text }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: CodingKeys.self)
            type = fields.lenient(String.self, forKey: .type)
            text = fields.lenient(String.self, forKey: .text)
        }
    }

    /// `message_start`'s message: its usage so far.
    struct Message: Decodable {
        var usage: Usage?

        enum CodingKeys: String, CodingKey { case usage }

        init(from decoder: any Decoder) throws {
            usage = try decoder.container(keyedBy: CodingKeys.self).lenient(Usage.self, forKey: .usage)
        }
    }

    /// A text delta (`type` `text_delta`) or the message's stop reason.
    struct Delta: Decodable {
        var type: String?
        var text: String?
        var stopReason: String?

        enum CodingKeys: String, CodingKey { case type, text, stopReason = "stop_reason" }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: CodingKeys.self)
            type = fields.lenient(String.self, forKey: .type)
            text = fields.lenient(String.self, forKey: .text)
            stopReason = fields.lenient(String.self, forKey: .stopReason)
        }
    }

    /// Usage counts; `input_tokens` is only the uncached part of the prompt.
    struct Usage: Decodable {
        var input: WireCount?
        var output: WireCount?
        var cacheRead: WireCount?
        var cacheWrite: WireCount?

        enum CodingKeys: String, CodingKey {
            case input = "input_tokens", output = "output_tokens"
            case cacheRead = "cache_read_input_tokens", cacheWrite = "cache_creation_input_tokens"
        }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: CodingKeys.self)
            input = fields.lenient(WireCount.self, forKey: .input)
            output = fields.lenient(WireCount.self, forKey: .output)
            cacheRead = fields.lenient(WireCount.self, forKey: .cacheRead)
            cacheWrite = fields.lenient(WireCount.self, forKey: .cacheWrite)
        }
    }

    enum CodingKeys: String, CodingKey { case type, model, content, usage, stopReason = "stop_reason", message, delta }

    init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        type = fields.lenient(String.self, forKey: .type)
        model = fields.lenient(String.self, forKey: .model)
        content = fields.lenient([Block].self, forKey: .content)
        usage = fields.lenient(Usage.self, forKey: .usage)
        stopReason = fields.lenient(String.self, forKey: .stopReason)
        message = fields.lenient(Message.self, forKey: .message)
        delta = fields.lenient(Delta.self, forKey: .delta)
    }
}
