/// What an operator asks of the runtime: built by the console's keys and `:` commands and applied
/// by the part that owns the state (`Gateway.apply` for models, providers and quotas,
/// `Assistant.apply` for conversations), which words the outcome.
public enum Command: Sendable, Hashable {
    /// Pin every request to a model; `nil` unpins (automatic routing).
    case switchModel(String?)
    /// Enable or disable a provider.
    case setProviderEnabled(provider: String, enabled: Bool)
    /// Change a provider's quota for a window, in USD.
    case setQuota(provider: String, window: QuotaWindow, usd: Double)
    /// Forget a conversation's history, summary and facts.
    case resetConversation(ConversationID)
    /// Use an explicit persona for a conversation; `nil` goes back to the learned personality.
    case setPersona(conversation: ConversationID, persona: String?)
}
