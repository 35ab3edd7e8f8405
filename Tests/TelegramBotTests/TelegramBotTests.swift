import Assistant
import Core
import Foundation
import Gateway
import HTTP
import Providers
import Store
import Testing
import TestSupport

@testable import TelegramBot

/// A bot over the fake Bot API and a fake model provider, with a real SQLite file.
final class BotHarness: Sendable {
    let directory: TemporaryDirectory
    let telegram: FakeTelegramServer
    let model: FakeLLMServer
    let environment: [String: String]

    init(script: FakeLLMScript = FakeLLMScript(text: "Hello **there**!"), environment: [String: String] = [:], limits: FakeTelegramServer.Limits? = nil) throws {
        directory = try TemporaryDirectory()
        telegram = try FakeTelegramServer(limits: limits)
        model = try FakeLLMServer(.openAI, defaultScript: script)
        self.environment = [
            "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": model.baseURL, "LLM_ENABLE_CACHING": "false",
            "SWITCHBOARD_DB": directory.file("db.sqlite3"), "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_BASE_URL": telegram.baseURL, "TELEGRAM_ADMIN_USERS": "1",
        ].merging(environment) { $1 }
    }

    func makeBot() throws -> TelegramBot {
        try makeStack().bot
    }

    /// The bot with the Gateway and bus it runs on.
    func makeStack(storageProbeInterval: Duration = .seconds(5)) throws -> (bot: TelegramBot, gateway: Gateway, bus: EventBus<Event>) {
        let settings = SettingsLoader(environment: environment).load().0
        let store = try SQLiteStore(path: settings.databasePath)
        let client = CurlHTTPClient()
        var providers: [String: any LLMProvider] = [:]
        for configuration in settings.configuredProviders { providers[configuration.name] = ProviderFactory.make(configuration, transport: client) }
        let bus = EventBus<Event>()
        let gateway = Gateway(settings: settings, catalog: try ModelCatalog.bundled(), store: store, providers: providers, bus: bus)
        let assistant = Assistant(gateway: gateway, store: store, settings: settings)
        let api = BotAPI(baseURL: settings.telegram.apiBaseURL, token: telegram.token, transport: client)
        return (TelegramBot(api: api, assistant: assistant, controls: gateway, store: store, settings: settings, bus: bus, storageProbeInterval: storageProbeInterval), gateway, bus)
    }

    /// Waits until the fake has seen what `condition` asks for (returning as soon as it has).
    ///
    /// 30 s: on a fresh two-core CI machine the whole test process is starved for ~10 s while
    /// every suite starts at once (even trivial synchronous tests report ~10 s there), which
    /// pushed 15 s waits over although the bot was only waiting for a thread like everyone else.
    func waitFor(_ description: String, timeout: Duration = .seconds(30), _ condition: () -> Bool) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for \(description); sent: \(telegram.sent.map(\.text))")
    }
}

@Suite struct TelegramBotTests {
    @Test func aPrivateMessageIsAnsweredWithFormattedText() async throws {
        let h = try BotHarness()
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "hi bot", chatID: 10, userID: 10, username: "ana")
        await h.waitFor("the answer") { h.telegram.sent.contains { $0.chatID == 10 && $0.text == "Hello <b>there</b>!" } }
        #expect(h.telegram.calledMethods.contains("sendChatAction"))
        #expect(h.telegram.calledMethods.contains("deleteWebhook"))
        #expect(h.telegram.calledMethods.contains("setMyCommands"))
        let sentToModel = try #require(h.model.requests.last?.json?["messages"] as? [[String: String]])
        #expect(sentToModel.last?["content"] == "hi bot")
    }

    /// 3,000 emoji fit Telegram's 4,096 "characters" by count, but Telegram counts UTF-16 code
    /// units (6,000 here): the answer arrives in two parts instead of being refused as too long.
    @Test func threeThousandEmojiAreDeliveredInParts() async throws {
        let answer = String(repeating: "😀", count: 3_000)
        let h = try BotHarness(script: FakeLLMScript(text: answer, promptTokens: 5, outputTokens: 3_000))
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "emoji please", chatID: 12, userID: 12, username: "ana")
        await h.waitFor("every emoji") { h.telegram.sent.filter { $0.chatID == 12 }.map(\.text).joined().count == 3_000 }
        let parts = h.telegram.sent.filter { $0.chatID == 12 }.map(\.text)
        #expect(parts.count == 2)
        #expect(parts.joined() == answer)
        #expect(parts.allSatisfy { $0.utf16.count <= 4_096 })
    }

    /// A database that cannot record progress (here a trigger makes SQLite refuse the inbox's
    /// writes, as a full disk would): the bot answers nothing it could not record — it would
    /// answer it again on every restart — stops fetching, says so, and catches up once it can.
    @Test func aDatabaseThatCannotRecordProgressStopsIntakeUntilItCan() async throws {
        let h = try BotHarness()
        let (bot, _, bus) = try h.makeStack(storageProbeInterval: .milliseconds(200))
        let alerts = bus.subscribe(capacity: 1_000)
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "first", chatID: 13, userID: 13)
        await h.waitFor("the first answer") { h.telegram.sent.filter { $0.chatID == 13 }.count == 1 }

        let other = try SQLiteStore(path: h.directory.file("db.sqlite3"))
        try other.executeForTesting("CREATE TRIGGER refuse_progress BEFORE UPDATE ON telegram_inbox BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END")
        try other.executeForTesting("CREATE TRIGGER refuse_probe BEFORE INSERT ON telegram_state WHEN NEW.key = 'write_probe' BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END")
        h.telegram.sendUpdate(text: "second", chatID: 13, userID: 13)
        await h.waitFor("the bot to notice") { bot.storageTrouble != nil }
        #expect(bot.storageTrouble?.contains("database or disk is full") == true)
        let polls = h.telegram.calledMethods.filter { $0 == "getUpdates" }.count
        h.telegram.sendUpdate(text: "third", chatID: 13, userID: 13)
        let probes = bot.storageProbes
        await h.waitFor("three more failed probes") { bot.storageProbes >= probes + 3 }
        #expect(h.telegram.calledMethods.filter { $0 == "getUpdates" }.count == polls, "no updates taken while none can be recorded")
        #expect(h.model.requests.count == 1, "the second message was not answered without a record")
        // The second waits in the inbox (and the third too, if the poll in flight got it).
        #expect(try other.pendingUpdates().contains { String(decoding: $0.payload, as: UTF8.self).contains("second") }, "it waits in the inbox")
        #expect(alerts.drain().contains { if case .alert(let alert) = $0 { alert.message.contains("cannot record progress") } else { false } }, "the console is told")

        try other.executeForTesting("DROP TRIGGER refuse_progress")
        try other.executeForTesting("DROP TRIGGER refuse_probe")
        await h.waitFor("the catch-up") { h.telegram.sent.filter { $0.chatID == 13 }.count == 3 }
        #expect(bot.storageTrouble == nil)
        #expect(h.model.requests.count == 3, "each message answered once")
    }

    /// A database whose reads fail while writes go through: the bot cannot tell whether an update
    /// was answered or what was already sent, so it sends nothing rather than something twice,
    /// says so, and answers once — exactly once — when reads work again.
    @Test func aDatabaseThatCannotBeReadAnswersNothingTwice() async throws {
        let h = try BotHarness()
        let (bot, _, _) = try h.makeStack(storageProbeInterval: .milliseconds(100))
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "first", chatID: 14, userID: 14)
        await h.waitFor("the first answer") { h.telegram.sent.filter { $0.chatID == 14 }.count == 1 }

        bot.store.failReadsForTesting("disk I/O error")
        h.telegram.sendUpdate(text: "second", chatID: 14, userID: 14)
        await h.waitFor("the bot to notice") { bot.storageTrouble?.contains("disk I/O error") == true }
        let probes = bot.storageProbes
        await h.waitFor("two more failed probes") { bot.storageProbes >= probes + 2 }
        #expect(h.model.requests.count == 1, "nothing answered while it cannot be read")
        #expect(h.telegram.sent.filter { $0.chatID == 14 }.count == 1)

        bot.store.failReadsForTesting(nil)
        await h.waitFor("the second answer") { h.telegram.sent.filter { $0.chatID == 14 }.count == 2 }
        await bot.waitUntilIdle(within: .seconds(10))
        #expect(bot.storageTrouble == nil)
        #expect(h.model.requests.count == 2, "each message answered once")
        #expect(try bot.store.pendingUpdates().isEmpty)
    }

    /// One request id from intake to delivery: the update's `messageReceived`, the usage row,
    /// `responseCompleted` and the processed update all carry the same one.
    @Test func oneRequestIdFollowsAnUpdateFromIntakeToDelivery() async throws {
        let h = try BotHarness()
        let (bot, gateway, bus) = try h.makeStack()
        let events = bus.subscribe(capacity: 1_000)
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "trace me", chatID: 15, userID: 15)
        await h.waitFor("the answer") { h.telegram.sent.contains { $0.chatID == 15 } }
        await bot.waitUntilIdle(within: .seconds(10))
        gateway.flushWrites()
        let seen = events.drain()
        let received = seen.compactMap { if case .messageReceived(let event) = $0 { event.request } else { nil } }
        let completed = seen.compactMap { if case .responseCompleted(let event) = $0 { event.request } else { nil } }
        let request = try #require(received.first)
        #expect(received == [request] && completed == [request])
        #expect(try bot.store.usage(ofRequest: request.rawValue).map(\.outcome) == [.ok])
        let delivery = try #require(try bot.store.telegramDelivery(ofRequest: request.rawValue))
        #expect(delivery.processedAt != nil && delivery.deliveredParts == 1)
    }

    @Test func groupsAreAnsweredOnlyWhenAddressed() async throws {
        let h = try BotHarness()
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "just chatting among ourselves", chatID: -100, userID: 11, chatType: "group")
        h.telegram.sendUpdate(text: "@switchboard_test_bot what's up?", chatID: -100, userID: 11, chatType: "group")
        await h.waitFor("the group answer") { h.telegram.sent.contains { $0.chatID == -100 && $0.text == "Hello <b>there</b>!" } }
        #expect(h.model.requests.count == 1, "only the mention reached the model")
        #expect((h.model.requests.last?.json?["messages"] as? [[String: String]])?.last?["content"] == "what's up?")
    }

    @Test func commandsAnswerWithoutTheModel() async throws {
        let h = try BotHarness()
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "/help", chatID: 12, userID: 12)
        h.telegram.sendUpdate(text: "/persona casual", chatID: 12, userID: 12)
        h.telegram.sendUpdate(text: "/stats", chatID: 12, userID: 12)
        h.telegram.sendUpdate(text: "/frobnicate", chatID: 12, userID: 12)
        await h.waitFor("four replies") { h.telegram.sent.filter { $0.chatID == 12 }.count == 4 }
        let texts = h.telegram.sent.filter { $0.chatID == 12 }.map(\.text)
        try #require(texts.count == 4, "a failed wait is a failure, not a crash of the whole run")
        #expect(texts[0].contains("/reset"))
        #expect(texts[1] == "I'll answer as casual from now on.")
        #expect(texts[2] == "That command is for admins.")
        #expect(texts[3].hasPrefix("I don't know that command."))
        #expect(h.model.requests.isEmpty)
    }

    @Test func messagesOfOneChatAreAnsweredInOrderAndRateLimitsAreWaitedOut() async throws {
        let h = try BotHarness(script: FakeLLMScript(text: "Answer."))
        h.telegram.fail("sendMessage", code: 429, description: "Too Many Requests: retry after 1", retryAfter: 1)
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "first", chatID: 13, userID: 13)
        h.telegram.sendUpdate(text: "second", chatID: 13, userID: 13)
        await h.waitFor("two answers") { h.telegram.sent.filter { $0.chatID == 13 }.count == 2 }
        let asked = h.model.requests.compactMap { ($0.json?["messages"] as? [[String: String]])?.last?["content"] }
        #expect(asked == ["first", "second"])
    }

    @Test func strangersAreTurnedAwayPolitely() async throws {
        let h = try BotHarness(environment: ["TELEGRAM_ALLOWED_USERS": "1"])
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "hello?", chatID: 99, userID: 99)
        await h.waitFor("the refusal") { h.telegram.sent.contains { $0.chatID == 99 } }
        #expect(h.telegram.sent.first { $0.chatID == 99 }?.text == "Sorry, this bot is private.")
        #expect(h.model.requests.isEmpty)
    }

    @Test func anAnsweredUpdateIsNotAnsweredAgainAfterARestart() async throws {
        let h = try BotHarness()
        do {
            let bot = try h.makeBot()
            let running = Task { try await bot.run() }
            h.telegram.sendUpdate(text: "once", chatID: 14, userID: 14)
            await h.waitFor("the answer") { h.telegram.sent.contains { $0.chatID == 14 } }
            running.cancel()
            _ = await running.result
        }
        let restarted = try h.makeBot()
        let running = Task { try await restarted.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "twice?", chatID: 15, userID: 15)
        await h.waitFor("the next answer") { h.telegram.sent.contains { $0.chatID == 15 } }
        #expect(h.telegram.sent.filter { $0.chatID == 14 }.count == 1)
        #expect(h.model.requests.count == 2)
    }
}

@Suite struct UpdateTrackerTests {
    @Test func anUpdateInHandIsNotHandedOverTwice() async {
        let tracker = UpdateTracker()
        #expect(await tracker.begin(5))
        #expect(await tracker.begin(6))
        #expect(await !tracker.begin(5), "in hand")
        await tracker.finish(5)
        #expect(await tracker.begin(5), "finished: from here the store's processed ids decide")
    }
}

@Suite struct PollingTests {
    /// Telegram sends an update again until the offset passes it; the offset moves once the
    /// update is stored, so a slow answer does not turn long polling into a busy loop.
    @Test func pollingWaitsAtTelegramWhileAnAnswerIsSlow() async throws {
        let h = try BotHarness(script: FakeLLMScript(text: "one two three four five six", pace: .milliseconds(250)))
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "take your time", chatID: 16, userID: 16)
        await h.waitFor("the answer") { h.telegram.sent.contains { $0.chatID == 16 && $0.text == "one two three four five six" } }
        let polls = h.telegram.calledMethods.filter { $0 == "getUpdates" }.count
        #expect(polls <= 3, "getUpdates called \(polls) times during a 1.5 s answer")
        #expect(bot.counters.snapshot.updates == 1)
        // Confirmed once the answer's delivery is recorded, a moment after Telegram shows it.
        await bot.waitUntilIdle(within: .seconds(10))
        let store = try SQLiteStore(path: h.directory.file("db.sqlite3"))
        #expect(try store.telegramOffset() == 2)
        #expect(try store.pendingUpdates().isEmpty, "answered: out of the inbox")
        #expect(try store.isUpdateProcessed(1))
    }

    @Test func anUpdateReceivedButNotAnsweredBeforeAStopIsAnsweredAtTheNextStart() async throws {
        let h = try BotHarness()
        do {
            let store = try SQLiteStore(path: h.directory.file("db.sqlite3"))
            let update = #"{"update_id": 77, "message": {"message_id": 1, "from": {"id": 17, "is_bot": false, "first_name": "bo"}, "chat": {"id": 17, "type": "private"}, "date": 1700000000, "text": "still there?"}}"#
            #expect(try store.storeIncomingUpdates([(77, Data(update.utf8))], offset: 78) == [77])
            #expect(try store.storeIncomingUpdates([(77, Data(update.utf8))], offset: 78).isEmpty, "known already")
        }
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        await h.waitFor("the answer") { h.telegram.sent.contains { $0.chatID == 17 } }
        #expect((h.model.requests.last?.json?["messages"] as? [[String: String]])?.last?["content"] == "still there?")
        #expect(h.telegram.lastBody("getUpdates")?["offset"] as? Int == 78)
    }
}

@Suite struct TelegramBlockedTests {
    @Test func aUserWhoBlockedTheBotIsNotWrittenToAgain() async throws {
        let h = try BotHarness(script: FakeLLMScript(text: "Short."), environment: ["LLM_ENABLE_STREAMING": "false"])
        for _ in 0..<3 { h.telegram.fail("sendMessage", code: 403, description: "Forbidden: bot was blocked by the user") }
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "hi", chatID: 20, userID: 20)
        await h.waitFor("the blocked attempt") { h.telegram.calledMethods.filter { $0 == "sendMessage" }.count >= 1 }
        await bot.waitUntilIdle(within: .seconds(5))
        #expect(h.telegram.calledMethods.filter { $0 == "sendMessage" }.count == 1, "no retries into a 403")
        #expect(await bot.blocked.contains(20))
    }
}
