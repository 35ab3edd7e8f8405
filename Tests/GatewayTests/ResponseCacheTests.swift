import Foundation
import Providers
import Store
import Testing
import TestSupport

@testable import Gateway

@Suite struct ResponseCacheTests {
    let directory: TemporaryDirectory
    let store: SQLiteStore
    let clock = ManualClock(Date(timeIntervalSince1970: 1_795_960_740))

    init() throws {
        directory = try TemporaryDirectory()
        store = try SQLiteStore(path: directory.file("db.sqlite3"))
    }

    func cache(ttl: TimeInterval = 60, store: SQLiteStore? = nil) -> ResponseCache {
        let clock = clock
        return ResponseCache(store: store ?? self.store, ttl: ttl, clock: { clock.now })
    }

    static let request = ChatRequest(model: "gpt-4o-mini", messages: [.system("You are helpful. The user is Ana."), .user("What is WAL?")])
    static let answer = ChatResponse(text: "Write-ahead logging.", model: "gpt-4o-mini", usage: TokenUsage(promptTokens: 20, outputTokens: 5), stopReason: .endTurn)

    /// The key is SHA-256 over length-prefixed fields ("<UTF-8 byte count>:<bytes>"): version,
    /// model, answer limit, temperature, then each message's role and text. Stored keys must stay
    /// valid from one version to the next, so the bytes are pinned (digests from Python's hashlib).
    @Test func theKeyIsTheDigestOfItsDocumentedBytes() {
        #expect(ResponseCache.key(model: "gpt-4o-mini", request: Self.request).text == "2b297eb7d430a568982544cae5e34009d6488bdc7c0ce6036725df493fb7a815")
        let unicode = ChatRequest(model: "gpt-4o-mini", messages: [.system("Élan — ünïcode 👋🏽"), .user("")], temperature: 0.7)
        #expect(ResponseCache.key(model: "gpt-4o-mini", request: unicode).text == "6b8a8b2b47c456c9d9678c5c29486d8567a225c2de5c830e3ff4134e220047e8")
        // A long message: its length prefix has more than one digit.
        let long = ChatRequest(model: "gpt-4o-mini", messages: [.user(String(repeating: "ab", count: 600))], maxOutputTokens: 12345)
        #expect(ResponseCache.key(model: "gpt-4o-mini", request: long).text == "71bce8b46fb652df7bb1bfd239dbffd95cfd322c76b64b28b337b26682051803")
    }

    @Test func theKeyCoversEverythingThatShapesTheAnswer() {
        let base = ResponseCache.key(model: "gpt-4o-mini", request: Self.request)
        #expect(base == ResponseCache.key(model: "gpt-4o-mini", request: Self.request))
        var otherUser = Self.request
        otherUser.messages[0] = .system("You are helpful. The user is Boris.")
        var otherLimit = Self.request
        otherLimit.maxOutputTokens = 10
        var otherTemperature = Self.request
        otherTemperature.temperature = 0.2
        var otherRole = Self.request
        otherRole.messages[1] = .assistant("What is WAL?")
        var split = Self.request
        split.messages = [.system("You are helpful. The user is Ana.What is WAL?")]
        for variant in [otherUser, otherLimit, otherTemperature, otherRole, split] {
            #expect(ResponseCache.key(model: "gpt-4o-mini", request: variant) != base)
        }
        #expect(ResponseCache.key(model: "claude-haiku-4-5", request: Self.request) != base)
    }

    /// Keys are held as their digest's 256 bits: every character of the hex counts (two keys
    /// one character apart anywhere are different keys), and other text is hashed, not confused.
    @Test func everyCharacterOfAKeyTellsKeysApart() {
        let computed = ResponseCache.key(model: "gpt-4o-mini", request: Self.request)
        #expect(ResponseCache.Key(computed.text) == computed, "a key read back from the table is the key computed")
        let key = computed.text
        var variants: Set<DigestKey> = [DigestKey(key)]
        for position in 0..<64 {
            var bytes = Array(key.utf8)
            bytes[position] = bytes[position] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            variants.insert(DigestKey(String(decoding: bytes, as: UTF8.self)))
        }
        #expect(variants.count == 65)
        #expect(DigestKey(key) == DigestKey(String(key)))
        #expect(DigestKey("k1") == DigestKey("k1") && DigestKey("k1") != DigestKey("k2"))
        #expect(DigestKey(key.uppercased()) != DigestKey(key), "not a lower-case digest: hashed as text")
    }

    @Test func aSavedAnswerIsFoundUntilItExpires() {
        let cache = cache(ttl: 60)
        let key = ResponseCache.key(model: "gpt-4o-mini", request: Self.request)
        #expect(cache.lookup(key) == nil)
        cache.save(Self.answer, provider: "openai", costUSD: 0.001, key: key)
        #expect(cache.lookup(key)?.text == "Write-ahead logging.")
        #expect(cache.lookup(key)?.costUSD == 0.001)
        clock.advance(61)
        #expect(cache.lookup(key) == nil)
    }

    @Test func entriesSurviveARestartThroughTheTable() throws {
        let key = ResponseCache.key(model: "gpt-4o-mini", request: Self.request)
        cache().save(Self.answer, provider: "openai", costUSD: 0.001, key: key)
        let reopened = cache(store: try SQLiteStore(path: directory.file("db.sqlite3")))
        #expect(reopened.lookup(key)?.text == "Write-ahead logging.")
        #expect(try store.cacheEntryCount(now: clock.now) == 1)
    }

    /// The keys known to be in the table (so a miss needs no database read) are one TTL's worth:
    /// a bot asked new questions for days must not outgrow the set and fall back to reading the
    /// table on every miss.
    @Test func knownKeysExpireWithTheirEntries() throws {
        let cache = cache(ttl: 60)
        for index in 0..<50 { cache.save(Self.answer, provider: "openai", costUSD: 0, key: "early\(index)") }
        clock.advance(30)
        for index in 0..<50 { cache.save(Self.answer, provider: "openai", costUSD: 0, key: "late\(index)") }
        cache.save(Self.answer, provider: "openai", costUSD: 0, key: "early0")  // saved again: lives on
        #expect(cache.storedKeyCount == 100)
        clock.advance(31)
        cache.save(Self.answer, provider: "openai", costUSD: 0, key: "after")
        #expect(cache.storedKeyCount == 52, "the first 49 early keys expired; early0, the late ones and the new one remain")
        #expect(cache.lookup("early1") == nil)
        #expect(cache.lookup("early0") != nil)
        // A restart knows only the unexpired keys, and finds their entries.
        let reopened = self.cache(ttl: 60)
        #expect(reopened.storedKeyCount == 52)
        #expect(reopened.lookup("late7") != nil && reopened.lookup("early2") == nil)
    }

    /// Two identical requests answered at once both save: the table keeps one row, and a hit
    /// after a restart (from the table) is counted on it.
    @Test func savingAKeyAgainReplacesItsRowAndHitsAreCountedOnIt() throws {
        let writer = WriteBehindQueue(store: store)
        defer { writer.stop() }
        let clock = clock
        let cache = ResponseCache(store: store, ttl: 60, writer: writer, clock: { clock.now })
        cache.save(Self.answer, provider: "openai", costUSD: 0.001, key: "same")
        clock.advance(1)
        cache.save(Self.answer, provider: "openai", costUSD: 0.002, key: "same")
        #expect(writer.flush())
        #expect(try store.cacheEntryCount(now: clock.now) == 1)
        let reopened = ResponseCache(store: try SQLiteStore(path: directory.file("db.sqlite3")), ttl: 60, writer: writer, clock: { clock.now })
        #expect(reopened.lookup("same")?.costUSD == 0.002)
        #expect(reopened.lookup("same") != nil)  // from memory now
        #expect(writer.flush())
        #expect(try store.read { db in try Int.fetchAll(db, sql: "SELECT hits FROM cache_entries") } == [2])
        // Saved again in a later batch: the stored row is replaced.
        clock.advance(1)
        reopened.save(Self.answer, provider: "openai", costUSD: 0.003, key: "same")
        #expect(writer.flush())
        #expect(try store.read { db in try Double.fetchAll(db, sql: "SELECT cost_usd FROM cache_entries") } == [0.003])
    }

    /// Past its cap on tracked keys the cache forgets the keys soonest to expire (their answers
    /// are asked for anew), not every key.
    @Test func pastTheKeyCapTheSoonestToExpireAreForgotten() throws {
        let clock = clock
        let cache = ResponseCache(store: store, ttl: 60, writer: nil, clock: { clock.now }, keysCap: 3)
        for key in ["a", "b", "c", "d"] {
            cache.save(Self.answer, provider: "openai", costUSD: 0, key: key)
            clock.advance(1)
        }
        #expect(cache.storedKeyCount == 3)
        let reopened = ResponseCache(store: store, ttl: 60, writer: nil, clock: { clock.now }, keysCap: 3)
        #expect(reopened.lookup("a") == nil, "forgotten: the soonest to expire")
        #expect(reopened.lookup("b") != nil && reopened.lookup("d") != nil)
    }

    @Test func memoryIsBoundedAndLeastRecentlyUsedGoesFirst() {
        let cache = ResponseCache(store: nil, ttl: 60)
        for index in 0..<ResponseCache.memoryCapacity {
            cache.save(Self.answer, provider: "openai", costUSD: 0, key: "k\(index)")
        }
        _ = cache.lookup("k0")  // k0 is now the most recently used; k1 the least
        cache.save(Self.answer, provider: "openai", costUSD: 0, key: "new")
        #expect(cache.memoryCount == ResponseCache.memoryCapacity)
        #expect(cache.lookup("k1") == nil, "the least recently used entry left memory (no table behind it)")
        #expect(cache.lookup("k0") != nil)
        #expect(cache.lookup("new") != nil)
    }

    @Test func manyHitsOnOneEntryKeepTheOrderOfTheRest() {
        let cache = ResponseCache(store: nil, ttl: 60)
        for index in 0..<ResponseCache.memoryCapacity {
            cache.save(Self.answer, provider: "openai", costUSD: 0, key: "k\(index)")
        }
        for _ in 0..<(10 * ResponseCache.memoryCapacity) { _ = cache.lookup("k0") }  // far more uses than entries
        for index in 0..<3 { cache.save(Self.answer, provider: "openai", costUSD: 0, key: "new\(index)") }
        #expect(cache.memoryCount == ResponseCache.memoryCapacity)
        #expect(cache.lookup("k0") != nil, "the most used entry stays")
        #expect(cache.lookup("k1") == nil && cache.lookup("k2") == nil && cache.lookup("k3") == nil, "the three least recently used left")
        #expect(cache.lookup("k4") != nil && cache.lookup("new2") != nil)
    }
}
