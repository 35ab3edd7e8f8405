import Assistant
import Foundation
import Logging

/// Shows one answer in a chat while it is generated: "typing…" until the first text, then a live
/// preview (a draft in private chats, a paced edit of a sent message in groups), then the final
/// formatted text, split over several messages when long. Every call waits its turn at
/// ``FloodControl``; a 429 pauses the chat and the call is retried; formatting Telegram rejects is
/// resent plain. The final text is never dropped.
struct StreamingReply {
    let api: BotAPI
    let flood: FloodControl
    let chat: Int64
    let isPrivate: Bool
    let replyTo: Int?
    let live: Bool
    let logger: Logger
    let blocked: BlockedChats
    let counters: TelegramCounters

    /// How often "typing…" is renewed (it lasts about five seconds).
    static let typingInterval: TimeInterval = 4
    /// A preview shorter than this is not worth a message yet.
    static let minimumPreview = 12
    /// Attempts for one call on network errors and 429s before giving up.
    static let attempts = 6

    /// Delivers the answer; returns the Assistant's result (`nil` if the stream ended without one).
    func deliver(_ events: AsyncStream<AssistantEvent>) async -> AssistantResult? {
        let state = ReplyState()
        let typing = Task {
            while !Task.isCancelled, await state.text.isEmpty {
                try? await api.sendChatAction(chatID: chat)
                try? await Task.sleep(for: .seconds(Self.typingInterval))
            }
        }
        let previews = Task { await previewLoop(state) }
        var result: AssistantResult?
        for await event in events {
            switch event {
            case .delta(let piece): await state.append(piece)
            case .restarted: await state.reset()
            case .completed(let final): result = final
            case .routed: break
            }
        }
        typing.cancel()
        previews.cancel()
        _ = await previews.value
        let streamed = await state.text
        let text = result?.responseContent ?? streamed
        await sendFinal(text, previewMessage: await state.previewMessage)
        return result
    }

    /// Sends the newest text every turn while it changes (edits of one message merge: only the
    /// latest text goes out).
    private func previewLoop(_ state: ReplyState) async {
        guard live else { return }
        var shown = ""
        var useDrafts = isPrivate
        let draftID = Int64.random(in: 1...Int64(Int32.max))
        while !Task.isCancelled {
            let text = await state.text
            guard text.count >= Self.minimumPreview, text != shown else {
                try? await Task.sleep(for: .milliseconds(200))
                continue
            }
            guard await flood.waitTurn(chat: chat, isGroup: !isPrivate), !Task.isCancelled else { return }
            let preview = TelegramFormatter.html(String(TelegramFormatter.chunks(text).first ?? text))
            do {
                if useDrafts {
                    try await api.sendMessageDraft(chatID: chat, draftID: draftID, text: preview)
                } else if let message = await state.previewMessage {
                    try await api.editMessageText(chatID: chat, messageID: message, text: preview)
                } else {
                    let sent = try await api.sendMessage(chatID: chat, text: preview, replyTo: replyTo)
                    await state.setPreviewMessage(sent.message_id)
                }
                shown = text
            } catch {
                switch error.kind {
                case .rateLimited:
                    counters.record { $0.rateLimited += 1 }
                    await flood.pause(chat: chat, seconds: error.retryAfter ?? 1)
                case .forbidden:
                    await blocked.block(chat)
                    return
                case .badRequest, .unauthorized, .malformed:
                    if useDrafts {
                        useDrafts = false  // drafts unavailable here: send-then-edit
                    } else {
                        shown = text
                    }
                default: shown = text  // a preview is best effort; the final text follows
                }
            }
        }
    }

    private func sendFinal(_ markdown: String, previewMessage: Int?) async {
        let chunks = TelegramFormatter.chunks(markdown.isEmpty ? "…" : markdown)
        for (index, chunk) in chunks.enumerated() {
            if index == 0, let previewMessage {
                await call { () async throws(BotAPIError) in
                    try await api.editMessageText(chatID: chat, messageID: previewMessage, text: TelegramFormatter.html(chunk))
                } plain: { () async throws(BotAPIError) in
                    try await api.editMessageText(chatID: chat, messageID: previewMessage, text: TelegramFormatter.plain(chunk), parseMode: nil)
                }
            } else {
                await call { () async throws(BotAPIError) in
                    _ = try await api.sendMessage(chatID: chat, text: TelegramFormatter.html(chunk), replyTo: index == 0 ? replyTo : nil)
                } plain: { () async throws(BotAPIError) in
                    _ = try await api.sendMessage(chatID: chat, text: TelegramFormatter.plain(chunk), parseMode: nil, replyTo: index == 0 ? replyTo : nil)
                }
            }
        }
    }

    /// One final call: waits its turn, retries after 429s and network errors, falls back to plain
    /// text when the formatting is refused.
    private func call(_ formatted: () async throws(BotAPIError) -> Void, plain: () async throws(BotAPIError) -> Void) async {
        var usePlain = false
        for attempt in 1...Self.attempts {
            if await blocked.contains(chat) { return }
            await flood.waitTurn(chat: chat, isGroup: !isPrivate)
            do {
                if usePlain { try await plain() } else { try await formatted() }
                return
            } catch {
                switch error.kind {
                case .cannotParseEntities, .messageTooLong:
                    if usePlain {
                        logger.error("telegram refused even the plain text", metadata: ["chat": "\(chat)", "reason": "\(error)"])
                        return
                    }
                    usePlain = true
                case .rateLimited:
                    counters.record { $0.rateLimited += 1 }
                    await flood.pause(chat: chat, seconds: error.retryAfter ?? 1)
                case .network, .serverError, .malformed:
                    try? await Task.sleep(for: .milliseconds(500 * attempt))
                case .forbidden:
                    await blocked.block(chat)
                    logger.notice("the user blocked the bot; not writing to this chat", metadata: ["chat": "\(chat)"])
                    return
                default:
                    logger.error("telegram answer not delivered", metadata: ["chat": "\(chat)", "reason": "\(error)"])
                    return
                }
            }
        }
        logger.error("telegram answer not delivered after retries", metadata: ["chat": "\(chat)"])
    }
}

/// The text of an answer being generated, shared by the reader and the preview loop.
actor ReplyState {
    private(set) var text = ""
    private(set) var previewMessage: Int?

    func append(_ piece: String) { text += piece }
    func reset() { text = "" }
    func setPreviewMessage(_ id: Int) { previewMessage = id }
}
