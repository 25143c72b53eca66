package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.bytes.Bytes;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.regex.Pattern;

/**
 * One object as a target stores it (the contract with {@code backup.target}): a relative name of '/'-separated
 * segments of {@code [a-z0-9._-]} (at most 200 characters, no empty segment, no "..") and at most
 * {@link #MAX_BYTES} of bytes. Backup objects are immutable: the name carries the SHA-256 of the bytes.
 */
public record BackupObject(String name, byte[] bytes) {
    public static final int MAX_BYTES = 64 * 1024 * 1024;
    public static final int MAX_NAME_CHARS = 200;
    private static final Pattern SEGMENT = Pattern.compile("[a-z0-9._-]+");

    public BackupObject {
        requireValidName(name);
        if (bytes == null || bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException("object " + name + " must hold at most " + MAX_BYTES + " bytes, got "
                    + (bytes == null ? "none" : bytes.length));
        }
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public int size() {
        return bytes.length;
    }

    /** The contract's name rule; an {@link IllegalArgumentException} naming what is wrong otherwise. */
    public static String requireValidName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_CHARS) {
            throw new IllegalArgumentException("an object name is 1.." + MAX_NAME_CHARS + " characters, got "
                    + (name == null ? "none" : name.length()));
        }
        for (String seg : name.split("/", -1)) {
            if (seg.isEmpty() || seg.equals("..") || seg.equals(".") || !SEGMENT.matcher(seg).matches()) {
                throw new IllegalArgumentException("object name '" + name + "' has a bad segment '" + seg
                        + "' (segments are [a-z0-9._-]+, not '.' or '..')");
            }
        }
        return name;
    }

    static Bytes sha256(byte[] data) {
        try {
            return Bytes.copyOf(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BackupObject b && name.equals(b.name) && java.util.Arrays.equals(bytes, b.bytes);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return "BackupObject[" + name + ", " + bytes.length + " bytes]";
    }
}
