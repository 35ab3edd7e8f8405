import Foundation
import Core
import Store
import Testing
import TestSupport

@testable import TelegramBot

/// The issue's bad input: kinds of updates the bot does not answer, a 4,096-character message,
/// Telegram failing during long polling. The bot keeps going and answers what comes next.
@Suite struct BadInputTests {
    @Test func unhandledKindsAreIgnoredOrPolitelyRefusedAndTheBotKeepsAnswering() async throws {
        let h = try BotHarness(script: FakeLLMScript(text: "Fine."))
        h.telegram.fail("getUpdates", code: 502, description: "Bad Gateway")
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        let chat = #"{"id": 60, "type": "private"}"#
        h.telegram.sendRawUpdate(#"{"message": {"message_id": 1, "from": {"id": 60, "is_bot": false, "first_name": "eve"}, "chat": \#(chat), "date": 1700000000, "photo": [{"file_id": "x", "width": 1, "height": 1}]}}"#)
        h.telegram.sendRawUpdate(#"{"edited_message": {"message_id": 1, "chat": \#(chat), "date": 1700000000, "text": "edited"}}"#)
        h.telegram.sendRawUpdate(#"{"channel_post": {"message_id": 2, "chat": {"id": -1001, "type": "channel"}, "date": 1700000000, "text": "post"}}"#)
        h.telegram.sendRawUpdate(#"{"my_chat_member": {"chat": \#(chat)}}"#)
        h.telegram.sendUpdate(text: String(repeating: "long message ", count: 315), chatID: 60, userID: 60)
        await h.waitFor("the polite refusal and the answer") {
            h.telegram.sent.filter { $0.chatID == 60 }.map(\.text) == ["I can only read text messages for now.", "Fine."]
        }
        #expect(h.model.requests.count == 1, "only the text reached the model")
        let asked = (h.model.requests.last?.json?["messages"] as? [[String: String]])?.last?["content"]
        #expect(asked?.count == String(repeating: "long message ", count: 315).trimmingCharacters(in: .whitespaces).count)
        #expect(!h.telegram.sent.contains { $0.chatID == -1001 })
    }
}

/// A getUpdates batch is read update by update: one that cannot be decoded is kept aside, logged
/// and confirmed, and everyone else is answered (before, one such update stopped polling for good).
@Suite struct UnreadableUpdateTests {
    static let chat = #""from": {"id": 70, "is_bot": false, "first_name": "eve"}, "chat": {"id": 70, "type": "private"}, "date": 1700000000"#

    @Test func anUnreadableUpdateIsKeptAsideAndTheOthersAreAnswered() async throws {
        let h = try BotHarness(script: FakeLLMScript(text: "Fine."))
        let (bot, _, bus) = try h.makeStack()
        let errors = bus.subscribe()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "first", chatID: 71, userID: 71)
        let surrogate = h.telegram.sendRawUpdate(#"{"message": {"message_id": 2, \#(Self.chat), "text": "a lone \ud800 surrogate"}}"#)
        let number = h.telegram.sendRawUpdate(#"{"message": {"message_id": 3, \#(Self.chat), "text": 42}}"#)
        h.telegram.sendUpdate(text: "second", chatID: 72, userID: 72)
        await h.waitFor("both readable updates answered") {
            h.telegram.sent.filter { $0.text == "Fine." }.map(\.chatID).sorted() == [71, 72]
        }
        // Polling goes on: a later update is answered too.
        h.telegram.sendUpdate(text: "third", chatID: 73, userID: 73)
        let store = try SQLiteStore(path: h.directory.file("db.sqlite3"))
        await h.waitFor("the next update answered and confirmed") {
            h.telegram.sent.contains { $0.chatID == 73 } && (try? store.pendingUpdates().isEmpty) == true
        }
        let aside = try store.quarantinedUpdates()
        #expect(Set(aside.map(\.updateID)) == [surrogate, number])
        #expect(aside.first { $0.updateID == surrogate }.map { String(decoding: $0.payload, as: UTF8.self).contains(#"\ud800"#) } == true, "kept raw")
        #expect(aside.first { $0.updateID == number }?.reason == "unreadable: message.text: expected String")
        #expect(try store.recentErrors(limit: 10).filter { $0.kind == "quarantined" }.count == 2)
        #expect(!h.telegram.sent.contains { $0.chatID == 70 }, "nothing unreadable was answered")
        var shown: [String] = []
        for await event in errors {
            if case .errorLogged(let logged) = event { shown.append(logged.message) }
            if shown.count == 2 { break }
        }
        #expect(shown.allSatisfy { $0.contains("could not be read") })
    }

    @Test func anUnreadableWebhookUpdateIsAcceptedAndKeptAside() async throws {
        let h = try BotHarness()
        let bot = try h.makeBot()
        let body = #"{"update_id": 900, "message": {"message_id": 2, \#(Self.chat), "text": "a lone \ud800 surrogate"}}"#
        #expect(await bot.receiveWebhook(secretToken: bot.webhookSecret, body: Array(body.utf8)) == .accepted, "Telegram must not deliver it again and again")
        #expect(await bot.receiveWebhook(secretToken: bot.webhookSecret, body: Array("<html>".utf8)) == .malformed)
        let store = try SQLiteStore(path: h.directory.file("db.sqlite3"))
        #expect(try store.quarantinedUpdates().map(\.updateID) == [900])
        #expect(try store.isUpdateProcessed(900))
    }
}
