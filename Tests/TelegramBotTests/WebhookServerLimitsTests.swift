import Core
@testable import Endpoints
import Foundation
import Store
import Testing
import TestSupport

@testable import TelegramBot

/// What strangers can do to the webhook server: send a large body without the secret, open
/// connections and send nothing, trickle a body, open more connections than there are file
/// descriptors. Each is cut off, and Telegram's own deliveries get through beside them.
@Suite struct WebhookServerLimitsTests {
    static let secretHeader = "X-Telegram-Bot-Api-Secret-Token"

    /// The webhook server of a test bot, on a free port, with `limits`.
    static func start(_ h: BotHarness, _ bot: TelegramBot, limits: ConnectionLimits) async throws -> (RunningServer, EndpointServer) {
        let box = ServerBox()
        let server = try await RunningServer.start { address in
            let server = EndpointServer(address: address, webhook: ("/hook", bot), metrics: nil, limits: limits)
            box.server = server
            return server
        }
        return (server, try #require(box.server))
    }

    final class ServerBox: @unchecked Sendable {
        var server: EndpointServer?
    }

    @Test func aStrangersBodyIsNeverReadNorWaitedFor() async throws {
        let h = try BotHarness()
        let bot = try h.makeBot()
        let (server, _) = try await Self.start(h, bot, limits: ConnectionLimits(idleTimeout: .seconds(30), requestDeadline: .seconds(30)))
        defer { server.task.cancel() }
        let running = Task { try await bot.runWebhook(url: server.base + "/hook") }
        defer { running.cancel() }
        await h.waitFor("setWebhook") { h.telegram.webhook != nil }

        // A megabyte promised, none sent: refused on the headers, and the connection closed.
        let stranger = try RawConnection(port: server.port, timeout: 10)
        stranger.send("POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\(Self.secretHeader): guess\r\n\r\n")
        let (status, closed) = await onOwnThread { (stranger.readStatus(), stranger.closedByServer(within: 10)) }
        #expect(status == 403, "refused before the body (which never comes)")
        #expect(closed, "the unread body is not waited for")
        #expect(bot.counters.snapshot.webhookRejected == 1)

        h.telegram.sendUpdate(text: "still here?", chatID: 40, userID: 40)
        await h.waitFor("the answer") { h.telegram.sent.contains { $0.chatID == 40 } }
        #expect(h.telegram.webhookStatuses == [200])
    }

    @Test func aConnectionThatSendsNoWholeRequestIsClosed() async throws {
        let h = try BotHarness()
        let bot = try h.makeBot()
        let (server, endpoint) = try await Self.start(h, bot, limits: ConnectionLimits(idleTimeout: .milliseconds(300), requestDeadline: .seconds(30)))
        defer { server.task.cancel() }

        let silent = try RawConnection(port: server.port, timeout: 10)
        let halfHeaders = try RawConnection(port: server.port, timeout: 10)
        halfHeaders.send("POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        let withheldBody = try RawConnection(port: server.port, timeout: 10)
        withheldBody.send("POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\(Self.secretHeader): \(bot.webhookSecret)\r\n\r\n{\"update_id\":")
        let closed = await onOwnThread { [silent, halfHeaders, withheldBody].map { $0.closedByServer(within: 10) } }
        #expect(closed == [true, true, true], "silent, half the headers, a body withheld")
        await h.waitFor("the server to let go") { endpoint.connections.open == 0 }
        #expect(try SQLiteStore(path: h.directory.file("db.sqlite3")).pendingUpdates().isEmpty, "nothing half-sent was taken")
    }

    @Test func aTricklingBodyIsCutAtTheRequestDeadline() async throws {
        let h = try BotHarness()
        let bot = try h.makeBot()
        // A byte every few milliseconds never leaves the connection idle: only the deadline ends it.
        let (server, _) = try await Self.start(h, bot, limits: ConnectionLimits(idleTimeout: .seconds(30), requestDeadline: .milliseconds(500)))
        defer { server.task.cancel() }

        let trickler = try RawConnection(port: server.port, timeout: 10)
        trickler.send("POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\(Self.secretHeader): \(bot.webhookSecret)\r\n\r\n")
        let started = ContinuousClock.now
        let sent = await onOwnThread {
            var sent = 0
            // Until the server closes the connection, or the whole body is sent (it is not, by far).
            while sent < 100_000, trickler.send(" "), !trickler.closedByServer(within: 0.02) { sent += 1 }
            return sent
        }
        let took = ContinuousClock.now - started
        #expect(sent < 100_000, "the body was cut off")
        #expect(took < .seconds(10), "by the 0.5 s request deadline, not the 30 s idle timeout: \(took)")
    }

    @Test func connectionsAreCappedAndThoseWaitingLongestMakeRoomForTelegram() async throws {
        let h = try BotHarness()
        let bot = try h.makeBot()
        // The idle timeout is far beyond the test: only making room lets Telegram in.
        let (server, endpoint) = try await Self.start(h, bot, limits: ConnectionLimits(maxConnections: 8, idleTimeout: .seconds(120), requestDeadline: .seconds(120)))
        defer { server.task.cancel() }
        let running = Task { try await bot.runWebhook(url: server.base + "/hook") }
        defer { running.cancel() }
        await h.waitFor("setWebhook") { h.telegram.webhook != nil }

        let squatters = try (0..<40).map { _ in try RawConnection(port: server.port, timeout: 10) }
        await h.waitFor("the squatters to fill the server and make room for each other") { endpoint.connections.closedForRoom >= 30 }
        h.telegram.sendUpdate(text: "let me in", chatID: 41, userID: 41)
        await h.waitFor("the answer") { h.telegram.sent.contains { $0.chatID == 41 } }
        #expect(h.telegram.webhookStatuses == [200])
        #expect(endpoint.connections.peak <= 8, "never more than the cap: \(endpoint.connections.peak)")
        #expect(endpoint.connections.closedForRoom >= 32, "the squatters made room: \(endpoint.connections.closedForRoom)")
        let closed = await onOwnThread { squatters.prefix(30).allSatisfy { $0.closedByServer(within: 10) } }
        #expect(closed, "the oldest squatters were closed")
    }

    @Test func theConnectionCapStaysBelowTheFileLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let share = ConnectionLimits.fileDescriptorShare()
        #expect(share >= 16 && share <= 1_024)
        #expect(Int(clamping: limit.rlim_cur) < 32 || share <= Int(clamping: limit.rlim_cur) / 2)
        #expect(ConnectionLimits.standard.maxConnections == share)
    }
}
