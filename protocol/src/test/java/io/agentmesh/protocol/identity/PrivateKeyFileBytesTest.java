package io.agentmesh.protocol.identity;

import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An encrypted key file written by an earlier agentmesh must still decrypt: its AES-GCM associated data (domain,
 * key kind, public key) is a byte layout that must never change by accident.
 */
class PrivateKeyFileBytesTest {
    static SigningKey key(int n) {
        byte[] seed = new byte[32];
        seed[0] = (byte) n;
        return SigningKey.fromSeed(seed);
    }

    /** Written by the encoder before the key file's associated data moved onto the shared byte writer. */
    static final String NODE_KEY_FILE = """
            {
              "format" : "agentmesh-private-key",
              "version" : 1,
              "kind" : "node",
              "id" : "node1zxwea3ugynklk685huek0dc32spm2wya93huaq",
              "publicKey" : "f4bd46521ce7b57899ae6f4ca09eddec689327a86a2232d4a3f2a4f39ac68a9e",
              "encryption" : "argon2id-aes256gcm",
              "kdf" : {
                "algorithm" : "argon2id",
                "version" : 19,
                "memoryKiB" : 8,
                "iterations" : 1,
                "parallelism" : 1,
                "salt" : "7fdb129fff9194985ce70a3b6590c033"
              },
              "nonce" : "e5b688d382138bbaa217fde0",
              "ciphertext" : "8992a9927047377f0a15f23c74a03220bbacff588a724ebc3c4e2180938d4f32aaa6796fa5bafb2ba76d54e954b15fa9"
            }
            """;

    @Test
    void anEncryptedKeyFileWrittenEarlierStillDecrypts() {
        SigningKey decoded = PrivateKeyFile.decode(PrivateKeyFile.Kind.NODE, "node key", "", NODE_KEY_FILE,
                Optional.of("correct horse".toCharArray()));
        assertEquals(key(5), decoded);
        String fresh = PrivateKeyFile.encode(PrivateKeyFile.Kind.NODE, key(5),
                Optional.of("correct horse".toCharArray()), new KdfParams(8, 1, 1), new SecureRandom());
        assertEquals(key(5), PrivateKeyFile.decode(PrivateKeyFile.Kind.NODE, "node key", "", fresh,
                Optional.of("correct horse".toCharArray())));
    }
}
