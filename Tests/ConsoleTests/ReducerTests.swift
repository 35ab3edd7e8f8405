import Core
import Foundation
import Testing

@testable import Console

@Suite struct ReducerTests {
    func state() -> ConsoleState { RenderTests.state() }

    func type(_ text: String, _ state: inout ConsoleState) -> [ConsoleEffect] {
        text.flatMap { ConsoleReducer.reduce(&state, .key(.character($0))) }
    }

    func command(_ line: String) -> (ConsoleState, [ConsoleEffect]) {
        var state = state()
        _ = ConsoleReducer.reduce(&state, .key(.character(":")))
        _ = type(line, &state)
        let effects = ConsoleReducer.reduce(&state, .key(.enter))
        return (state, effects)
    }

    @Test(arguments: [
        ("model claude-3-haiku", ConsoleEffect.command(.switchModel("claude-3-haiku"))),
        ("model auto", .command(.switchModel(nil))),
        ("disable openai", .command(.setProviderEnabled(provider: "openai", enabled: false))),
        ("enable OpenAI", .command(.setProviderEnabled(provider: "openai", enabled: true))),
        ("quota openai daily 50", .command(.setQuota(provider: "openai", window: .daily, usd: 50))),
        ("quota anthropic hourly $2.5", .command(.setQuota(provider: "anthropic", window: .hourly, usd: 2.5))),
        ("persona friendly", .command(.setPersona(conversation: .console, persona: "friendly"))),
        ("persona auto", .command(.setPersona(conversation: .console, persona: nil))),
        ("reset", .command(.resetConversation(.console))),
        ("theme light", .loadTheme("light")),
        ("quit", .quit),
    ])
    func everyCommandBecomesItsEffect(line: String, effect: ConsoleEffect) {
        let (state, effects) = command(line)
        #expect(effects == [effect])
        #expect(state.mode == .normal)
    }

    @Test(arguments: [("frobnicate", "unknown command ':frobnicate'"), ("quota openai weekly 5", "usage: :quota"), ("quota openai daily lots", "is not an amount"), ("model", "usage: :model")])
    func badCommandsSayWhy(line: String, message: String) {
        let (state, effects) = command(line)
        #expect(effects.isEmpty)
        #expect(state.status?.isError == true)
        #expect(state.status?.text.contains(message) == true, "\(state.status?.text ?? "")")
    }

    @Test func tabCompletesCommandsProvidersAndModels() {
        var state = state()
        state.knownModels = ["gpt-4o-mini", "gpt-4o", "claude-haiku-4-5"]
        #expect(ConsoleCompletion.complete("dis", state: state) == "disable ")
        #expect(ConsoleCompletion.complete("disable an", state: state) == "disable anthropic ")
        #expect(ConsoleCompletion.complete("model gpt", state: state) == "model gpt-4o")
        #expect(ConsoleCompletion.complete("quota openai h", state: state) == "quota openai hourly ")
    }

    @Test func testChatSendsTheMessageAndShowsItStreaming() {
        var state = state()
        _ = ConsoleReducer.reduce(&state, .key(.character("c")))
        #expect(state.focus == .chat)
        _ = type("hello", &state)
        let effects = ConsoleReducer.reduce(&state, .key(.enter))
        #expect(effects == [.testMessage("hello")])
        #expect(state.chatInput.isEmpty)
        #expect(state.selectedConversation == .console)
        #expect(state.streams[.console]?.streaming == true)
        let request = RequestID(rawValue: "r")
        _ = ConsoleReducer.reduce(&state, .event(.streamDelta(StreamDelta(request: request, conversation: .console, text: "Hi "))))
        _ = ConsoleReducer.reduce(&state, .event(.streamDelta(StreamDelta(request: request, conversation: .console, text: "there"))))
        #expect(state.streams[.console]?.answer == "Hi there")
        _ = ConsoleReducer.reduce(&state, .event(.streamRestarted(StreamRestarted(request: request, conversation: .console, reason: "anthropic takes over"))))
        #expect(state.streams[.console]?.answer == "")
        _ = ConsoleReducer.reduce(&state, .event(.responseCompleted(ResponseCompleted(request: request, conversation: .console, provider: "anthropic", model: "claude-haiku-4-5", text: "Hello!", inputTokens: 10, outputTokens: 3, costUSD: 0.0001, costIsEstimated: false, fromCache: false, latency: .milliseconds(800), timeToFirstToken: .milliseconds(300)))))
        #expect(state.streams[.console]?.answer == "Hello!")
        #expect(state.streams[.console]?.streaming == false)
        #expect(state.snapshot.conversations.first { $0.id == .console }?.model == "claude-haiku-4-5")
    }

    @Test func aTenKilobytePasteIsCutAndSaidSo() {
        var state = state()
        state.focus = .chat
        _ = ConsoleReducer.reduce(&state, .paste(String(repeating: "x", count: 10_240)))
        #expect(state.chatInput.count == ConsoleReducer.chatLimit)
        #expect(state.status?.text.contains("cut to") == true)
    }

    @Test func quittingWhileStreamingAsksFirst() {
        var state = state()
        state.streams[.console] = StreamView(streaming: true)
        #expect(ConsoleReducer.reduce(&state, .key(.character("q"))).isEmpty)
        #expect(state.confirmingQuit)
        #expect(ConsoleReducer.reduce(&state, .key(.character("y"))) == [.quit])
        var calm = self.state()
        #expect(ConsoleReducer.reduce(&calm, .key(.character("q"))) == [.quit])
        #expect(ConsoleReducer.reduce(&calm, .key(.controlC)) == [.quit])
    }

    @Test func focusSelectionFilterAndErrorDetails() {
        var state = state()
        _ = ConsoleReducer.reduce(&state, .key(.tab))
        #expect(state.focus == .errors)
        _ = ConsoleReducer.reduce(&state, .key(.enter))
        #expect(state.openError?.message == "429 rate limited, retry in 2s")
        _ = ConsoleReducer.reduce(&state, .key(.escape))
        #expect(state.openError == nil)
        _ = ConsoleReducer.reduce(&state, .key(.backTab))
        _ = ConsoleReducer.reduce(&state, .key(.backTab))
        #expect(state.focus == .providers)
        _ = ConsoleReducer.reduce(&state, .key(.down))
        #expect(ConsoleReducer.reduce(&state, .key(.character("d"))) == [.command(.setProviderEnabled(provider: "anthropic", enabled: false))])
        _ = ConsoleReducer.reduce(&state, .key(.tab))
        _ = ConsoleReducer.reduce(&state, .key(.character("/")))
        _ = type("ana", &state)
        #expect(state.visibleConversations.map(\.user) == ["@ana"])
        _ = ConsoleReducer.reduce(&state, .key(.escape))
        #expect(state.visibleConversations.count == 2)
    }

    @Test func eventsUpdateProvidersErrorsAndAlerts() {
        var state = state()
        _ = ConsoleReducer.reduce(&state, .event(.providerStateChanged(ProviderStateChanged(provider: "openai", enabled: true, circuit: .open))))
        #expect(state.snapshot.providers.first?.circuit == .open)
        _ = ConsoleReducer.reduce(&state, .event(.errorLogged(ErrorLogged(source: "gateway", message: "boom", at: state.now))))
        #expect(state.visibleErrors.first?.message == "boom")
        _ = ConsoleReducer.reduce(&state, .event(.alert(Alert(severity: .warning, message: "openai hourly quota at 80 %", at: Date()))))
        #expect(state.alerts.count == 1)
        #expect(state.status?.text == "openai hourly quota at 80 %")
    }
}
