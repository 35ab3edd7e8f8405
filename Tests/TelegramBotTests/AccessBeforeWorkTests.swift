import Foundation
import Testing
import TestSupport

@testable import TelegramBot

/// Access control comes before any work: strangers learn nothing and cost nothing; group messages
/// are answered only when really addressed to this bot; group-wide changes are for admins.
@Suite struct AccessBeforeWorkTests {
    @Test func strangersGetOneRefusalAnHourAndNothingElse() async throws {
        let h = try BotHarness(script: FakeLLMScript(text: "Fine."), environment: ["TELEGRAM_ALLOWED_USERS": "80"])
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        let stranger = #""from": {"id": 66, "is_bot": false, "first_name": "eve"}, "chat": {"id": 66, "type": "private"}, "date": 1700000000"#
        h.telegram.sendRawUpdate(#"{"message": {"message_id": 1, \#(stranger), "photo": [{"file_id": "x", "width": 1, "height": 1}]}}"#)
        for attempt in 1...3 { h.telegram.sendUpdate(text: "let me in \(attempt)", chatID: 66, userID: 66) }
        h.telegram.sendUpdate(text: "hello", chatID: 80, userID: 80)
        await h.waitFor("the allowed user answered") { h.telegram.sent.contains { $0.chatID == 80 } }
        await h.waitFor("the stranger's updates handled") { h.telegram.sent.contains { $0.chatID == 66 } }
        #expect(h.telegram.sent.filter { $0.chatID == 66 }.map(\.text) == ["Sorry, this bot is private."], "one refusal, not one per message, and not what the bot can read")
        #expect(h.model.requests.count == 1, "only the allowed user's message reached the model")
    }

    @Test func groupMessagesCountOnlyWhenAddressedToThisBot() async throws {
        let h = try BotHarness(script: FakeLLMScript(text: "Fine."), environment: ["TELEGRAM_ALLOWED_USERS": "80,81,-800"])
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.makeGroupAdmin(82, of: -800)
        for text in ["/help@otherbot", "ask @switchboard_test_bot_fan", "mail me@switchboard_test_bot.example", "/reset"] {
            h.telegram.sendUpdate(text: text, chatID: -800, userID: 81, chatType: "group")
        }
        h.telegram.sendUpdate(text: "/reset@switchboard_test_bot", chatID: -800, userID: 82, chatType: "group")
        h.telegram.sendUpdate(text: "@switchboard_test_bot hello", chatID: -900, userID: 80, chatType: "group")
        h.telegram.sendUpdate(text: "thanks @switchboard_test_bot.", chatID: -800, userID: 81, chatType: "group")
        // Groups are paced at one message every 3 s: three replies take a while on a busy machine.
        await h.waitFor("the mention answered", timeout: .seconds(60)) { h.telegram.sent.filter { $0.chatID == -800 }.count == 3 }
        #expect(h.telegram.sent.filter { $0.chatID == -800 }.map(\.text) == [
            BotCommands.groupAdminsOnly, "Done — I've forgotten our conversation.", "Fine.",
        ])
        #expect(!h.telegram.sent.contains { $0.chatID == -900 }, "an allowed user does not open a group that is not allowed")
        let asked = (h.model.requests.last?.json?["messages"] as? [[String: String]])?.last?["content"]
        #expect(h.model.requests.count == 1 && asked == "thanks .")
    }
}

@Suite struct InputHygieneTests {
    @Test func aMessageOfInvisibleCharactersIsNotSentToAProvider() async throws {
        let h = try BotHarness(script: FakeLLMScript(text: "Fine."))
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "\u{200B}\u{2060}\u{202E}\u{FEFF}", chatID: 90, userID: 90)
        h.telegram.sendUpdate(text: "he\u{200B}llo\u{200F}", chatID: 90, userID: 90)
        await h.waitFor("both handled") { h.telegram.sent.filter { $0.chatID == 90 }.count == 2 }
        #expect(h.telegram.sent.first?.text == "Your message is empty once invisible characters are taken out. Please write some text.")
        #expect(h.model.requests.count == 1)
        #expect((h.model.requests.last?.json?["messages"] as? [[String: String]])?.last?["content"] == "hello")
    }
}
