import Foundation
import Testing
import TestSupport

@testable import TelegramBot

/// A bot that meets a million chats over a month keeps bounded memory: what it holds per chat or
/// person is forgotten once it no longer changes anything (before, every map only grew).
@Suite struct BoundedStateTests {
    /// 100,000 chats, one message each, ten a second: only the chats still inside their interval
    /// (about eleven) need remembering.
    @Test func floodControlForgetsChatsWhoseWaitIsOver() async {
        let clock = ManualClock()
        let flood = FloodControl(sleep: { clock.advance($0) }, now: { clock.now })
        for chat in 0..<100_000 {
            #expect(await flood.waitTurn(chat: Int64(chat), isGroup: chat % 10 == 0))
            clock.advance(0.1)
        }
        let tracked = await flood.trackedChats
        #expect(tracked <= 2_048, "\(tracked) chats tracked")
        // Forgetting changed nothing for a chat still waiting: it waits its interval.
        let before = clock.sleeps.count
        #expect(await flood.waitTurn(chat: 99_999, isGroup: false))
        #expect(clock.sleeps.count == before + 1, "chat 99,999 waited out the rest of its interval")
    }

    @Test func theRateLimitForgetsPeopleQuietForAMinute() async {
        let clock = ManualClock()
        let limiter = UserRateLimiter(perMinute: 3, now: { clock.now })
        for user in 0..<100_000 {
            #expect(await limiter.allow(user: Int64(user)))
            clock.advance(0.1)
        }
        let tracked = await limiter.trackedUsers
        #expect(tracked <= 2_048, "\(tracked) people tracked")
        // Still a limit: a fourth message within the minute is refused.
        for _ in 0..<2 { #expect(await limiter.allow(user: 99_999)) }
        #expect(await limiter.allow(user: 99_999) == false)
        clock.advance(60)
        #expect(await limiter.allow(user: 99_999))
    }

    @Test func blockedChatsAreForgottenAfterADay() async {
        let clock = ManualClock()
        let blocked = BlockedChats(now: { clock.now })
        for chat in 0..<20_000 {
            await blocked.block(Int64(chat))
            clock.advance(10)  // 20,000 blocks over 2.3 days
        }
        let kept = await blocked.count
        #expect(kept <= 2 * 8_640 + 1_024, "\(kept) chats kept")
        #expect(await blocked.contains(19_999), "a chat blocked a moment ago stays blocked")
        #expect(await blocked.contains(0) == false, "one blocked two days ago is tried again")
    }

    @Test func refusalsForgetStrangersTheyWouldTellAgain() async {
        let limiter = RefusalLimiter(interval: 3_600)
        var now = Date(timeIntervalSince1970: 1_800_000_000)
        for user in 0..<100_000 {
            #expect(await limiter.shouldTell(Int64(user), now: now))
            now += 1
        }
        #expect(await limiter.trackedStrangers <= 2 * 3_600 + 1_024)
        #expect(await limiter.shouldTell(99_999, now: now) == false, "told a moment ago: not again")
    }
}
