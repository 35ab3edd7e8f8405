import Foundation
import HTTP
import Testing
import TestSupport

@testable import TelegramBot

@Suite struct BotAPITests {
    let client = CurlHTTPClient()

    func api(_ fake: FakeTelegramServer, token: String? = nil) -> BotAPI {
        BotAPI(baseURL: fake.baseURL, token: token ?? fake.token, transport: client)
    }

    @Test func callsGoToTheTokenPathWithJSONAndDecodeTheResult() async throws {
        let fake = try FakeTelegramServer()
        let me = try await api(fake).getMe()
        #expect(me.username == "switchboard_test_bot" && me.is_bot)
        let sent = try await api(fake).sendMessage(chatID: 7, text: "<b>hi</b>", replyTo: 3)
        #expect(sent.chat.id == 7)
        let body = try #require(fake.lastBody("sendMessage"))
        #expect(body["parse_mode"] as? String == "HTML")
        #expect(body["reply_to_message_id"] as? Int == 3)
        #expect(fake.sent.first?.text == "<b>hi</b>")
    }

    @Test func longPollingReturnsWhenAnUpdateArrives() async throws {
        let fake = try FakeTelegramServer()
        let api = api(fake)
        async let updates = api.getUpdates(offset: nil, timeout: 20)
        #expect(await waitUntil { fake.calledMethods.contains("getUpdates") }, "the long poll waits at the server")
        fake.sendUpdate(text: "hello", chatID: 5, userID: 5, username: "ana")
        let received = try await updates.updates.map(\.update)
        #expect(received.map { $0.message?.text } == ["hello"])
        #expect(received.first?.message?.from?.username == "ana")
        // Confirming with offset = last + 1 removes it.
        let next = try await api.getUpdates(offset: (received.last?.update_id ?? 0) + 1, timeout: 0)
        #expect(next.updates.isEmpty && next.lastID == nil)
    }

    @Test func oneUnreadableUpdateDoesNotHideTheOthers() async throws {
        let fake = try FakeTelegramServer()
        let api = api(fake)
        let chat = #""chat": {"id": 5, "type": "private"}, "date": 1700000000"#
        fake.sendUpdate(text: "before", chatID: 5, userID: 5)
        let surrogate = fake.sendRawUpdate(#"{"message": {"message_id": 2, \#(chat), "text": "bad \ud800 text"}}"#)
        let number = fake.sendRawUpdate(#"{"message": {"message_id": 3, \#(chat), "text": 12345}}"#)
        let shape = fake.sendRawUpdate(#"{"message": [1, {"nested": "]}"}]}"#)
        fake.sendRawUpdate(#"{"message": {"message_id": 5, \#(chat), "text": "after, with \"quotes\" and \\ and ]}"}}"#)
        let batch = try await api.getUpdates(offset: nil, timeout: 0)
        #expect(batch.updates.map { $0.update.message?.text } == ["before", #"after, with "quotes" and \ and ]}"#])
        #expect(batch.unreadable.map(\.updateID) == [surrogate, number, shape])
        #expect(batch.unreadable.first?.payload == Data(#"{"update_id": \#(surrogate), "message": {"message_id": 2, \#(chat), "text": "bad \ud800 text"}}"#.utf8), "kept as received")
        #expect(batch.unreadable[1].reason == "message.text: expected String")
        #expect(batch.lastID == shape + 1)
        // The raw text of a readable update is what the inbox keeps, byte for byte.
        #expect(try JSONDecoder().decode(TelegramUpdate.self, from: batch.updates[1].raw).message?.message_id == 5)
    }

    @Test func errorAnswersAreTyped() async throws {
        let fake = try FakeTelegramServer()
        let api = api(fake)
        fake.fail("sendMessage", code: 429, description: "Too Many Requests: retry after 7", retryAfter: 7)
        await #expect { _ = try await api.sendMessage(chatID: 1, text: "x") } throws: { error in
            let error = error as? BotAPIError
            return error?.kind == .rateLimited && error?.retryAfter == 7 && error?.code == 429
        }
        fake.fail("sendMessage", code: 403, description: "Forbidden: bot was blocked by the user")
        await #expect { _ = try await api.sendMessage(chatID: 1, text: "x") } throws: { ($0 as? BotAPIError)?.kind == .forbidden }
        fake.fail("getUpdates", code: 409, description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
        await #expect { _ = try await api.getUpdates(offset: nil, timeout: 0) } throws: { ($0 as? BotAPIError)?.kind == .conflict }
        await #expect { _ = try await api.sendMessage(chatID: 1, text: "<b>unclosed") } throws: { ($0 as? BotAPIError)?.kind == .cannotParseEntities }
        await #expect { _ = try await api.sendMessage(chatID: 1, text: String(repeating: "x", count: 4_097), parseMode: nil) } throws: { ($0 as? BotAPIError)?.kind == .messageTooLong }
    }

    @Test func anEditThatChangesNothingIsNotAnError() async throws {
        let fake = try FakeTelegramServer()
        let api = api(fake)
        let message = try await api.sendMessage(chatID: 1, text: "same")
        try await api.editMessageText(chatID: 1, messageID: message.message_id, text: "same")
        try await api.editMessageText(chatID: 1, messageID: message.message_id, text: "changed")
        #expect(fake.sent.first?.text == "changed")
        #expect(fake.sent.first?.edits == 1)
    }

    @Test func theTokenNeverAppearsInErrors() async throws {
        let fake = try FakeTelegramServer()
        let wrong = api(fake, token: "999:SECRET-wrong-token")
        do {
            _ = try await wrong.getMe()
            Issue.record("a wrong token was accepted")
        } catch {
            #expect(error.kind == .unauthorized)
            #expect(!error.description.contains("SECRET"))
        }
        let closed = try ReservedPort()
        do {
            _ = try await BotAPI(baseURL: closed.baseURL, token: "999:SECRET-token", transport: client).getMe()
        } catch {
            #expect(error.kind == .network)
            #expect(!error.description.contains("SECRET"))
        }
    }

    /// A proxy in front of Telegram whose error page quotes the request path (token included).
    @Test func aProxyPageQuotingTheTokenPathNeverPutsTheTokenInAnError() async throws {
        let token = "7123456789:AAHproxy-echo-canary-abcdefghijklmnop"
        let proxy = try FakeHTTPServer { request, writer in
            writer.respond(status: 200, headers: [("Content-Type", "text/html")], body: "<html>upstream error for \(request.path)</html>")
        }
        defer { proxy.stop() }
        do {
            _ = try await BotAPI(baseURL: proxy.baseURL, token: token, transport: client).getMe()
            Issue.record("an HTML page was taken for an answer")
        } catch {
            #expect(error.kind == .malformed)
            #expect(error.description.contains("/bot[redacted]/getMe"), "\(error)")
            #expect(!error.description.contains("proxy-echo-canary"))
        }
        // And what the bot sends never carries it either.
        let fake = try FakeTelegramServer()
        _ = try await api(fake).sendMessage(chatID: 7, text: "the token is \(fake.token)")
        #expect(fake.sent.first?.text == "the token is [redacted]")
    }
}
