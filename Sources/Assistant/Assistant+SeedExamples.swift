import Core
import Foundation
public import Providers

/// The seed guide's usage examples, as Swift calls: the same names and fields, on one Assistant.
extension Assistant {
    /// The seed's `simple_ai_response`: an answer for a chat, with memory and learned personality.
    public func simpleResponse(userMessage: String, userID: Int64, chatID: Int64) async -> AssistantResult {
        await respond(AssistantRequest(conversation: .telegram(chat: chatID), channel: .telegram, userID: String(userID), text: userMessage))
    }

    /// The seed's `personality_response`: an answer in an explicit style.
    public func personalityResponse(userMessage: String, userID: Int64, chatID: Int64, personalityStyle: Persona) async -> AssistantResult {
        await respond(AssistantRequest(conversation: .telegram(chat: chatID), channel: .telegram, userID: String(userID), text: userMessage, persona: personalityStyle))
    }

    /// The seed's `contextual_response`: an answer to a supplied conversation history.
    public func contextualResponse(userMessage: String, conversationHistory: [ChatMessage], userID: Int64, chatID: Int64) async -> AssistantResult {
        await respond(AssistantRequest(conversation: .telegram(chat: chatID), channel: .telegram, userID: String(userID), text: userMessage, history: conversationHistory))
    }

    /// The seed's `generate_streaming_response` with typing simulation: the answer's text as it is
    /// generated; until the first text arrives, `typing` is called every ``typingInterval`` (what a
    /// chat shows as "typing…").
    public func streamingResponse(_ request: AssistantRequest, typing: @escaping @Sendable () async -> Void) -> AsyncStream<String> {
        let events = reply(request)
        return AsyncStream { continuation in
            let task = Task {
                await typing()
                let typingTask = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: Self.typingInterval)  // cancelled: the loop's check ends it
                        if !Task.isCancelled { await typing() }
                    }
                }
                for await event in events {
                    switch event {
                    case .delta(let piece):
                        typingTask.cancel()
                        continuation.yield(piece)
                    case .restarted:
                        continuation.yield("\n")
                    case .completed(let result) where result.hadErrors:
                        typingTask.cancel()
                        continuation.yield(result.responseContent)
                    default:
                        break
                    }
                }
                typingTask.cancel()
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Telegram's typing indicator lasts about five seconds; it is renewed a little before.
    public static let typingInterval = Duration.seconds(4)
}
