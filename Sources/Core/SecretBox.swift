import Crypto
public import Foundation

/// The key that encrypts stored secrets, from `LLM_MASTER_KEY`.
///
/// A key made by `switchboard keygen` is 32 random bytes in base64 and is used as it is. Any other
/// text of at least 16 characters is accepted as a passphrase and stretched with HKDF-SHA256 (a
/// warning says a generated key is stronger); anything shorter is refused.
public struct MasterKey: Sendable {
    /// The raw key bytes (`SymmetricKey` is not `Sendable` on every platform).
    let keyBytes: Data
    var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    /// `true` when the text was a generated 32-byte key rather than a passphrase.
    public let isGenerated: Bool
    /// A short, non-secret identifier of the key, stored beside each sealed value so that a value
    /// sealed under another key is reported as "wrong key" rather than "tampered".
    public let fingerprint: String

    static let minimumPassphraseLength = 16
    static let generatedKeyPrefix = "sbk1:"

    /// Parses the text of `LLM_MASTER_KEY`.
    public init(_ text: String) throws(SecretBoxError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix(Self.generatedKeyPrefix),
            let bytes = Data(base64Encoded: String(trimmed.dropFirst(Self.generatedKeyPrefix.count))), bytes.count == 32
        {
            keyBytes = bytes
            isGenerated = true
        } else if trimmed.hasPrefix(Self.generatedKeyPrefix) {
            throw SecretBoxError(.invalidKey, "LLM_MASTER_KEY starts like a generated key but is not 32 bytes of base64; copy it again from `switchboard keygen`")
        } else if trimmed.count >= Self.minimumPassphraseLength {
            keyBytes = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: Data(trimmed.utf8)),
                salt: Data("switchboard-master-key".utf8), info: Data("secrets-v1".utf8), outputByteCount: 32
            ).withUnsafeBytes { Data($0) }
            isGenerated = false
        } else {
            throw SecretBoxError(.invalidKey, "LLM_MASTER_KEY is too short: use `switchboard keygen` to make one (or a passphrase of at least \(Self.minimumPassphraseLength) characters)")
        }
        let tag = HMAC<SHA256>.authenticationCode(for: Data("switchboard-key-fingerprint".utf8), using: SymmetricKey(data: keyBytes))
        fingerprint = Data(tag).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    /// A new random key as text for `LLM_MASTER_KEY`.
    public static func generate() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return generatedKeyPrefix + bytes.base64EncodedString()
    }
}

/// A secret as stored: ChaCha20-Poly1305 ciphertext (nonce, ciphertext and tag) and the fingerprint
/// of the key that sealed it.
public struct SealedSecret: Sendable, Hashable {
    /// The fingerprint of the key that sealed the value.
    public var keyFingerprint: String
    /// Nonce, ciphertext and authentication tag.
    public var combined: Data

    /// Wraps stored bytes.
    public init(keyFingerprint: String, combined: Data) {
        self.keyFingerprint = keyFingerprint
        self.combined = combined
    }
}

/// Seals and opens secrets with an AEAD cipher. The secret's name is authenticated too, so a value
/// copied onto another name in the database fails to open.
public struct SecretBox: Sendable {
    let masterKey: MasterKey

    /// A box that seals with `masterKey`.
    public init(masterKey: MasterKey) {
        self.masterKey = masterKey
    }

    /// Encrypts `value`, binding it to `name`.
    public func seal(_ value: String, name: String) throws(SecretBoxError) -> SealedSecret {
        do {
            let box = try ChaChaPoly.seal(Data(value.utf8), using: masterKey.key, authenticating: Data(name.utf8))
            return SealedSecret(keyFingerprint: masterKey.fingerprint, combined: box.combined)
        } catch {
            throw SecretBoxError(.tampered, "could not encrypt \(name): \(error)")
        }
    }

    /// Decrypts a value sealed for `name`.
    public func open(_ sealed: SealedSecret, name: String) throws(SecretBoxError) -> String {
        guard sealed.keyFingerprint == masterKey.fingerprint else {
            throw SecretBoxError(.wrongKey, "\(name) was stored with a different LLM_MASTER_KEY; set that key again, or store \(name) anew with `switchboard secrets set \(name)`")
        }
        do {
            let box = try ChaChaPoly.SealedBox(combined: sealed.combined)
            let data = try ChaChaPoly.open(box, using: masterKey.key, authenticating: Data(name.utf8))
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw SecretBoxError(.tampered, "\(name) failed its integrity check: the stored value was altered or damaged; store it anew with `switchboard secrets set \(name)`")
        }
    }
}

/// Why a secret could not be sealed or opened. Messages never contain the secret or the key.
public struct SecretBoxError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: Sendable, Hashable {
        case invalidKey, wrongKey, tampered, refused
    }

    /// The kind of failure.
    public let code: Code
    /// What happened and what to do.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
