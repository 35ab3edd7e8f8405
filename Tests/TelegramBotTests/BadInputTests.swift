import Foundation
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
