import Foundation
public import Gateway
import Providers
public import Store

/// Keeps a running summary of the messages that have left the recent window: a cheap model through
/// the Gateway (low priority, its own usage rows), or an extractive summary when no model answers.
public enum Summarizer {
    /// Summaries are capped at about this many characters.
    public static let maxCharacters = 1_500
    static let instructions = "You maintain a running summary of a conversation between a user and an assistant. Merge the previous summary and the new messages into one summary of at most 150 words. Keep names, preferences, decisions, open questions and anything the user asked to remember. Write in the conversation's language. Reply with the summary only."

    /// A new summary of `previous` plus `messages`, and whether a model wrote it.
    public static func summarize(previous: String, messages: [StoredMessage], conversation: String, gateway: Gateway) async -> (summary: String, byModel: Bool, error: String?) {
        let transcript = messages.map { "\($0.role == "user" ? "User" : "Assistant"): \($0.content)" }.joined(separator: "\n")
        let prompt = (previous.isEmpty ? "" : "Previous summary:\n\(previous)\n\n") + "New messages:\n" + String(transcript.prefix(24_000))
        let result = await gateway.complete(GatewayRequest(
            conversation: nil, messages: [.system(instructions), .user(prompt)], priority: .low, maxOutputTokens: 400, streaming: false))
        let text = result.text.trimmingCharacters(in: .whitespacesAndNewlines)
        if !result.hadErrors && !result.isDemo && !text.isEmpty {
            return (String(text.prefix(maxCharacters)), true, nil)
        }
        let reason = result.hadErrors ? result.errorDetails.joined(separator: "; ") : (result.isDemo ? "the offline demo model cannot summarize" : "the model returned nothing")
        return (extractive(previous: previous, messages: messages), false, reason)
    }

    /// The previous summary and the first sentence of each user message, newest kept when long.
    public static func extractive(previous: String, messages: [StoredMessage]) -> String {
        var lines = previous.isEmpty ? [] : [previous]
        for message in messages where message.role == "user" {
            let sentence = firstSentence(message.content)
            if !sentence.isEmpty { lines.append("User: " + sentence) }
        }
        var text = lines.joined(separator: "\n")
        if text.count > maxCharacters { text = "…" + String(text.suffix(maxCharacters - 1)) }
        return text
    }

    static func firstSentence(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let end = trimmed.firstIndex { ".!?\n".contains($0) }.map { trimmed.index(after: $0) } ?? trimmed.endIndex
        let sentence = String(trimmed[..<end])
        return sentence.count > 160 ? String(sentence.prefix(159)) + "…" : sentence
    }
}
