package io.agentmesh.protocol.identity;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The paper backup of an agent root key: its 32-byte seed as a 24-word BIP39 mnemonic (English word list, 256 bits
 * of entropy plus an 8-bit SHA-256 checksum, 11 bits per word).
 *
 * <p><b>The seed is the entropy.</b> Standard BIP39 stretches the words with PBKDF2 into a 64-byte wallet seed; here
 * the 32 bytes of entropy are used directly as the Ed25519 private key seed instead. So key and phrase convert both
 * ways without loss: the phrase can be shown again from the key file at any time, and no extra salt or passphrase
 * has to be remembered. A consequence worth telling users: these words are not a wallet's words; typed into a
 * wallet they would open an unrelated wallet.
 *
 * <p>{@link #toString()} hides the words; {@link #words()} gives them to the code that shows them on purpose.
 *
 * <p>The word list is BIP39's {@code english.txt} (2048 words, SHA-256
 * 2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda), shipped as a resource, taken from the
 * npm package bip39.
 */
public final class RecoveryPhrase {
    public static final int WORD_COUNT = 24;
    private static final int ENTROPY_BYTES = 32;
    private static final String WORDLIST_RESOURCE = "bip39-english.txt";
    /** Immutable after class initialization. */
    private static final List<String> WORDS = loadWordList();
    private static final Map<String, Integer> INDEX = indexOf(WORDS);

    private final byte[] seed;

    private RecoveryPhrase(byte[] seed) {
        this.seed = seed.clone();
    }

    /** The phrase of a 32-byte root key seed. */
    public static RecoveryPhrase fromSeed(byte[] seed) {
        if (seed == null || seed.length != ENTROPY_BYTES) {
            throw new IllegalArgumentException("a recovery phrase encodes a " + ENTROPY_BYTES + "-byte seed, got "
                    + (seed == null ? "none" : seed.length));
        }
        return new RecoveryPhrase(seed);
    }

    public static RecoveryPhrase of(SigningKey rootKey) {
        return fromSeed(rootKey.seed());
    }

    /**
     * Reads 24 words separated by any white space, in any letter case.
     *
     * @throws IdentityException MALFORMED for a wrong word count or an unknown word (naming it and its position),
     *                           TYPO when the words are all known but the checksum does not match
     */
    public static RecoveryPhrase parse(String phrase) {
        String normalized = Normalizer.normalize(phrase == null ? "" : phrase, Normalizer.Form.NFKD)
                .strip().toLowerCase(Locale.ROOT);
        String[] words = normalized.isEmpty() ? new String[0] : normalized.split("\\s+");
        if (words.length != WORD_COUNT) {
            throw new IdentityException(IdentityException.Reason.MALFORMED, "a recovery phrase has " + WORD_COUNT
                    + " words, got " + words.length + (words.length == 12 || words.length == 18
                    ? " (agentmesh root keys always use 24 words; this may be another wallet's phrase)"
                    : "; check for a missing or extra word"));
        }
        int[] indices = new int[WORD_COUNT];
        for (int i = 0; i < WORD_COUNT; i++) {
            Integer index = INDEX.get(words[i]);
            if (index == null) {
                throw new IdentityException(IdentityException.Reason.MALFORMED, "word " + (i + 1) + " '" + words[i]
                        + "' is not in the BIP39 English word list" + suggestion(words[i]));
            }
            indices[i] = index;
        }
        // 24 * 11 = 264 bits: 256 bits of entropy, then 8 bits of checksum.
        byte[] bits = new byte[ENTROPY_BYTES + 1];
        for (int i = 0; i < WORD_COUNT; i++) {
            for (int b = 0; b < 11; b++) {
                if (((indices[i] >>> (10 - b)) & 1) != 0) {
                    int pos = i * 11 + b;
                    bits[pos / 8] |= (byte) (0x80 >>> (pos % 8));
                }
            }
        }
        byte[] seed = Arrays.copyOf(bits, ENTROPY_BYTES);
        if (bits[ENTROPY_BYTES] != checksum(seed)) {
            throw new IdentityException(IdentityException.Reason.TYPO, "the recovery phrase's checksum does not"
                    + " match: a word is wrong or two words are swapped (every word is a real word, so compare each"
                    + " with the paper copy; the last word carries the checksum)");
        }
        return new RecoveryPhrase(seed);
    }

    /** The 24 words, separated by single spaces. This is the secret: show it only to the person backing up. */
    public String words() {
        return String.join(" ", wordList());
    }

    public List<String> wordList() {
        byte[] bits = Arrays.copyOf(seed, ENTROPY_BYTES + 1);
        bits[ENTROPY_BYTES] = checksum(seed);
        List<String> out = new ArrayList<>(WORD_COUNT);
        for (int i = 0; i < WORD_COUNT; i++) {
            int index = 0;
            for (int b = 0; b < 11; b++) {
                int pos = i * 11 + b;
                index = (index << 1) | ((bits[pos / 8] >>> (7 - pos % 8)) & 1);
            }
            out.add(WORDS.get(index));
        }
        return List.copyOf(out);
    }

    /** The 32-byte root key seed. */
    public byte[] seed() {
        return seed.clone();
    }

    public SigningKey signingKey() {
        return SigningKey.fromSeed(seed);
    }

    private static byte checksum(byte[] entropy) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(entropy)[0];
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** BIP39 English words are unique in their first four letters; a typo after them still finds the word. */
    private static String suggestion(String word) {
        if (word.length() < 4) {
            return "";
        }
        String prefix = word.substring(0, 4);
        for (String w : WORDS) {
            if (w.startsWith(prefix)) {
                return "; did you mean '" + w + "'?";
            }
        }
        return "";
    }

    private static List<String> loadWordList() {
        try (InputStream in = RecoveryPhrase.class.getResourceAsStream(WORDLIST_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the BIP39 word list " + WORDLIST_RESOURCE
                        + " is missing from the protocol jar; the build is broken");
            }
            List<String> words = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines()
                    .toList();
            if (words.size() != 2048) {
                throw new IllegalStateException("the BIP39 word list has " + words.size()
                        + " words instead of 2048; the build is broken");
            }
            return words;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the BIP39 word list", e);
        }
    }

    private static Map<String, Integer> indexOf(List<String> words) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < words.size(); i++) {
            index.put(words.get(i), i);
        }
        return Map.copyOf(index);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecoveryPhrase p && MessageDigest.isEqual(seed, p.seed);
    }

    @Override
    public int hashCode() {
        return checksum(seed); // not the seed's own bytes: a hash code may end up in a log
    }

    @Override
    public String toString() {
        return "RecoveryPhrase[24 words, hidden]";
    }
}
