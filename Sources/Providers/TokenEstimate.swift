/// A rough token count, used only where a provider reports no usage (then marked estimated).
/// About four characters a token for Latin text; the Gateway has the finer estimator.
enum TokenEstimate {
    static let charactersPerToken = 4
    /// Tokens a chat format adds per message (role markers).
    static let perMessageOverhead = 4

    static func tokens(in text: String) -> Int {
        (text.count + charactersPerToken - 1) / charactersPerToken
    }

    static func promptTokens(_ messages: [ChatMessage]) -> Int {
        messages.reduce(0) { $0 + tokens(in: $1.content) + perMessageOverhead }
    }
}
