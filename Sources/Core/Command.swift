/// What an operator asks of the runtime, sent on a command ``EventBus`` (from the console, or
/// turned into the same calls by the command line).
public enum Command: Sendable, Hashable {
    /// Pin every request to a model; `nil` unpins (automatic routing).
    case switchModel(String?)
    /// Enable or disable a provider.
    case setProviderEnabled(provider: String, enabled: Bool)
    /// Change a provider's quota for a window, in USD.
    case setQuota(provider: String, window: QuotaWindow, usd: Double)
    /// Send a message through the whole pipeline as the `console` channel.
    case sendTestMessage(String)
    /// Forget a conversation's history, summary and facts.
    case resetConversation(ConversationID)
    /// Use an explicit persona for a conversation; `nil` goes back to the learned personality.
    case setPersona(conversation: ConversationID, persona: String?)

    /// Commands are never dropped in favour of newer ones.
    public var isDroppable: Bool { false }
}
