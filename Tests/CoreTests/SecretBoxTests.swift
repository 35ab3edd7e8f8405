import Foundation
import Testing

@testable import Core

@Suite struct SecretBoxTests {
    @Test func sealsAndOpensWithAGeneratedKey() throws {
        let key = try MasterKey(MasterKey.generate())
        #expect(key.isGenerated)
        let box = SecretBox(masterKey: key)
        let sealed = try box.seal("sk-secret-value", name: "OPENAI_API_KEY")
        #expect(!String(decoding: sealed.combined, as: UTF8.self).contains("sk-secret-value"))
        #expect(try box.open(sealed, name: "OPENAI_API_KEY") == "sk-secret-value")
    }

    @Test func twoGeneratedKeysDiffer() {
        #expect(MasterKey.generate() != MasterKey.generate())
    }

    @Test func aWrongKeyIsReportedAsSuch() throws {
        let sealed = try SecretBox(masterKey: try MasterKey(MasterKey.generate())).seal("v", name: "N")
        let other = SecretBox(masterKey: try MasterKey(MasterKey.generate()))
        #expect(throws: SecretBoxError.self) { try other.open(sealed, name: "N") }
        do {
            _ = try other.open(sealed, name: "N")
        } catch {
            #expect(error.code == .wrongKey)
        }
    }

    @Test func tamperingIsReportedAsSuch() throws {
        let box = SecretBox(masterKey: try MasterKey(MasterKey.generate()))
        var sealed = try box.seal("value", name: "N")
        sealed.combined[sealed.combined.count - 1] ^= 0x01
        do {
            _ = try box.open(sealed, name: "N")
            Issue.record("tampered value opened")
        } catch {
            #expect(error.code == .tampered)
        }
    }

    @Test func aValueMovedToAnotherNameDoesNotOpen() throws {
        let box = SecretBox(masterKey: try MasterKey(MasterKey.generate()))
        let sealed = try box.seal("value", name: "OPENAI_API_KEY")
        do {
            _ = try box.open(sealed, name: "ANTHROPIC_API_KEY")
            Issue.record("moved value opened")
        } catch {
            #expect(error.code == .tampered)
        }
    }

    @Test func passphrasesAreStretchedAndShortOnesRefused() throws {
        let a = try MasterKey("correct horse battery staple")
        let b = try MasterKey("correct horse battery staple")
        #expect(!a.isGenerated)
        #expect(a.fingerprint == b.fingerprint)
        #expect(throws: SecretBoxError.self) { try MasterKey("tooshort") }
        #expect(throws: SecretBoxError.self) { try MasterKey("sbk1:not-base64") }
    }
}
