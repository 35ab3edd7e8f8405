/// What Switchboard reads of an OpenAI chat completion and of its stream chunks (the same shape:
/// `choices` with a `message` or a `delta`, `usage`, and an `error` object on failure).
struct OpenAICompletion: Decodable {
    var model: String?
    var choices: [Choice]?
    var usage: Usage?
    var error: Present?

    struct Choice: Decodable {
        var message: Text?
        var delta: Text?
        var finishReason: String?

        enum CodingKeys: String, CodingKey { case message, delta, finishReason = "finish_reason" }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: CodingKeys.self)
            message = fields.lenient(Text.self, forKey: .message)
            delta = fields.lenient(Text.self, forKey: .delta)
            finishReason = fields.lenient(String.self, forKey: .finishReason)
        }
    }

    /// A message or delta: its text (`content` may be missing or `null` in a delta).
    struct Text: Decodable {
        var content: String?

        enum CodingKeys: String, CodingKey { case content }

        init(from decoder: any Decoder) throws {
            content = try decoder.container(keyedBy: CodingKeys.self).lenient(String.self, forKey: .content)
        }
    }

    struct Usage: Decodable {
        var prompt: WireCount?
        var completion: WireCount?
        var cached: WireCount?

        enum CodingKeys: String, CodingKey { case prompt = "prompt_tokens", completion = "completion_tokens", details = "prompt_tokens_details" }
        enum DetailKeys: String, CodingKey { case cached = "cached_tokens" }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: CodingKeys.self)
            prompt = fields.lenient(WireCount.self, forKey: .prompt)
            completion = fields.lenient(WireCount.self, forKey: .completion)
            cached = (try? fields.nestedContainer(keyedBy: DetailKeys.self, forKey: .details))?.lenient(WireCount.self, forKey: .cached)
        }

        /// The usage reported; `nil` when it has no prompt count or a count is unreadable (the
        /// caller estimates).
        var tokenUsage: TokenUsage? {
            guard case .count(let prompt)? = prompt else { return nil }
            var output = 0, cacheRead = 0
            switch completion {
            case .count(let value)?: output = value
            case .unreadable?: return nil
            case nil: break
            }
            switch cached {
            case .count(let value)?: cacheRead = value
            case .unreadable?: return nil
            case nil: break
            }
            return TokenUsage(promptTokens: prompt, outputTokens: output, cacheReadTokens: cacheRead)
        }
    }

    enum CodingKeys: String, CodingKey { case model, choices, usage, error }

    init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        model = fields.lenient(String.self, forKey: .model)
        choices = fields.lenient([Choice].self, forKey: .choices)
        usage = fields.lenient(Usage.self, forKey: .usage)
        error = fields.lenient(Present.self, forKey: .error)
    }
}
