import Assistant
import Foundation
import Logging
import Store

/// Shows one answer in a chat while it is generated: "typing…" until the first text, then a live
/// preview (a draft in private chats, a paced edit of a sent message in groups), then the final
/// formatted text, split over several messages when long. Every call waits its turn at
/// ``FloodControl``; a 429 pauses the chat and the call is retried; formatting Telegram rejects is
/// resent plain. The final text is never dropped: a Telegram that cannot be reached or answers
/// garbage is retried with backoff for minutes, and with a ``DeliveryJournal`` what was accepted
/// is recorded part by part, so a restart sends only the rest.
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
    /// Where the progress of an update's answer is recorded (`nil` for command replies).
    var journal: DeliveryJournal? = nil

    /// How often "typing…" is renewed (it lasts about five seconds).
    static let typingInterval: TimeInterval = 4
    /// A preview message (groups: sent, then edited) shorter than this is not worth sending yet;
    /// a draft shows from the first word.
    static let minimumPreview = 12
    /// How long one part is retried through outages and garbage answers before it is left for
    /// the next start (with a journal) or given up.
    static let deliveryPatience: Duration = .seconds(600)
    /// The longest wait between two attempts.
    static let longestBackoff: Duration = .seconds(30)

    /// Whether the whole answer reached the chat (or the chat cannot take it: blocked, refused).
    enum Outcome: Sendable, Hashable {
        case delivered
        /// Telegram stayed unreachable: the rest waits in the journal.
        case undelivered
    }

    /// Delivers the answer; returns the Assistant's result (`nil` if the stream ended without one)
    /// and whether it reached the chat. `preview` is a message an earlier run showed the answer in.
    func deliver(_ events: AsyncStream<AssistantEvent>, preview: Int? = nil) async -> (result: AssistantResult?, outcome: Outcome) {
        let state = ReplyState(previewMessage: preview)
        let typing = Task {
            while !Task.isCancelled, await state.text.isEmpty {
                try? await api.sendChatAction(chatID: chat)  // "typing…" is a courtesy; the answer does not depend on it
                try? await Task.sleep(for: .seconds(Self.typingInterval))  // cancelled: the loop's check ends it
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
        // A preview waiting for its turn gives the turn up: the final text takes it.
        previews.cancel()
        state.finish()
        _ = await previews.value
        // Cancelled (a stop past its deadline): the partial text is not passed off as the answer;
        // the update stays in the inbox and the next start answers it whole.
        if Task.isCancelled { return (result, .undelivered) }
        let streamed = await state.text
        let text = result?.responseContent ?? streamed
        journal?.answerReady(text)
        return (result, await sendFinal(text, previewMessage: await state.previewMessage, from: 0))
    }

    /// Sends what a journal kept of an answer an earlier run did not finish delivering.
    func resume(_ text: String, previewMessage: Int?, deliveredParts: Int) async -> Outcome {
        await sendFinal(text, previewMessage: previewMessage, from: deliveredParts)
    }

    /// Shows the newest text whenever it changes and the chat's turn allows (changes made while
    /// a preview waits or is sent merge: only the latest text goes out).
    private func previewLoop(_ state: ReplyState) async {
        guard live else { return }
        var shown = ""
        var useDrafts = isPrivate
        let draftID = Int64.random(in: 1...Int64(Int32.max))
        for await _ in state.changes {
            guard await state.text.count >= (useDrafts ? 1 : Self.minimumPreview), await state.text != shown else { continue }
            guard await flood.waitTurn(chat: chat, isGroup: !isPrivate), !Task.isCancelled else { return }
            let text = await state.text  // the newest, after the wait
            let preview = TelegramFormatter.html(String(TelegramFormatter.chunks(text).first ?? text))
            do {
                try await paced { () async throws(BotAPIError) in
                    if useDrafts {
                        try await api.sendMessageDraft(chatID: chat, draftID: draftID, text: preview)
                    } else if let message = await state.previewMessage {
                        try await api.editMessageText(chatID: chat, messageID: message, text: preview)
                    } else {
                        let sent = try await api.sendMessage(chatID: chat, text: preview, replyTo: replyTo)
                        await state.setPreviewMessage(sent.message_id)
                        journal?.previewSent(sent.message_id)
                    }
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

    /// Makes a call whose turn was taken, then tells flood control Telegram answered (whatever
    /// it said): the chat's next turn counts from here.
    private func paced(_ call: () async throws(BotAPIError) -> Void) async throws(BotAPIError) {
        do {
            try await call()
        } catch {
            await flood.answered(chat: chat, isGroup: !isPrivate)
            throw error
        }
        await flood.answered(chat: chat, isGroup: !isPrivate)
    }

    /// Sends the parts of the final text from part `first` on; the first part replaces the
    /// preview message when there is one.
    private func sendFinal(_ markdown: String, previewMessage: Int?, from first: Int) async -> Outcome {
        let chunks = TelegramFormatter.chunks(markdown.isEmpty ? "…" : markdown)
        for (index, chunk) in chunks.enumerated() where index >= first {
            let outcome: Outcome
            if index == 0, let previewMessage {
                outcome = await call { () async throws(BotAPIError) in
                    try await api.editMessageText(chatID: chat, messageID: previewMessage, text: TelegramFormatter.html(chunk))
                } plain: { () async throws(BotAPIError) in
                    try await api.editMessageText(chatID: chat, messageID: previewMessage, text: TelegramFormatter.plain(chunk), parseMode: nil)
                }
            } else {
                outcome = await call { () async throws(BotAPIError) in
                    _ = try await api.sendMessage(chatID: chat, text: TelegramFormatter.html(chunk), replyTo: index == 0 ? replyTo : nil)
                } plain: { () async throws(BotAPIError) in
                    _ = try await api.sendMessage(chatID: chat, text: TelegramFormatter.plain(chunk), parseMode: nil, replyTo: index == 0 ? replyTo : nil)
                }
            }
            guard outcome == .delivered else { return outcome }
            journal?.partsDelivered(index + 1)
        }
        return .delivered
    }

    /// One final call: waits its turn, retries after 429s, network errors and garbage answers
    /// (with backoff, for up to ``deliveryPatience``), falls back to plain text when the
    /// formatting is refused. `.delivered` also when the chat cannot take it (blocked, refused
    /// even as plain text): sending again would not help.
    private func call(_ formatted: () async throws(BotAPIError) -> Void, plain: () async throws(BotAPIError) -> Void) async -> Outcome {
        var usePlain = false
        var backoff = Duration.milliseconds(500)
        let deadline = ContinuousClock.now + Self.deliveryPatience
        while ContinuousClock.now < deadline, !Task.isCancelled {
            if await blocked.contains(chat) { return .delivered }
            await flood.waitTurn(chat: chat, isGroup: !isPrivate)
            do {
                try await paced { () async throws(BotAPIError) in
                    if usePlain { try await plain() } else { try await formatted() }
                }
                return .delivered
            } catch {
                switch error.kind {
                case .cannotParseEntities, .messageTooLong:
                    if usePlain {
                        logger.error("telegram refused even the plain text", metadata: ["chat": "\(chat)", "reason": "\(error)"])
                        return .delivered
                    }
                    usePlain = true
                case .rateLimited:
                    counters.record { $0.rateLimited += 1 }
                    await flood.pause(chat: chat, seconds: error.retryAfter ?? 1)
                case .network, .serverError, .malformed:
                    logger.warning("telegram did not take the answer; retrying", metadata: ["chat": "\(chat)", "reason": "\(error)", "in": "\(backoff)"])
                    try? await Task.sleep(for: backoff)  // cancelled: the loop's check ends it
                    backoff = min(Self.longestBackoff, backoff * 2)
                case .forbidden:
                    await blocked.block(chat)
                    logger.notice("the user blocked the bot; not writing to this chat", metadata: ["chat": "\(chat)"])
                    return .delivered
                default:
                    logger.error("telegram answer not delivered", metadata: ["chat": "\(chat)", "reason": "\(error)"])
                    return .delivered
                }
            }
        }
        logger.error("telegram answer not delivered yet; it is sent again at the next start", metadata: ["chat": "\(chat)"])
        return .undelivered
    }
}

/// Records the progress of one update's answer in the inbox, so a restart neither asks a model
/// again nor sends a part twice. A failed write is logged; the answer goes on.
struct DeliveryJournal: Sendable {
    let updateID: Int64
    let store: SQLiteStore
    let logger: Logger

    func previewSent(_ messageID: Int) { record { () throws(StoreError) in try store.recordPreviewMessage(updateID, messageID) } }
    func answerReady(_ text: String) { record { () throws(StoreError) in try store.recordAnswer(updateID, text: text) } }
    func partsDelivered(_ parts: Int) { record { () throws(StoreError) in try store.recordDeliveredParts(updateID, parts) } }

    private func record(_ write: () throws(StoreError) -> Void) {
        do {
            try write()
        } catch {
            logger.error("could not record the delivery of an answer", metadata: ["update": "\(updateID)", "reason": "\(error)"])
        }
    }
}

/// The text of an answer being generated, shared by the reader and the preview loop.
actor ReplyState {
    private(set) var text = ""
    private(set) var previewMessage: Int?
    /// A tick whenever the text changes; ticks a busy reader has not taken yet merge into one.
    nonisolated let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation

    init(previewMessage: Int? = nil) {
        self.previewMessage = previewMessage
        (changes, changed) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func append(_ piece: String) {
        text += piece
        changed.yield()
    }

    func reset() {
        text = ""
        changed.yield()
    }

    /// The answer is complete: the preview loop ends.
    nonisolated func finish() { changed.finish() }

    func setPreviewMessage(_ id: Int) { previewMessage = id }
}
