package dev.beckon.planner.generations;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.RemoteSession;
import org.eclipse.jgit.transport.SshSessionFactory;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.util.FS;

/**
 * JGit's SSH transport through the system's OpenSSH client, as beckon reaches SSH targets: keys, agents, jump hosts
 * and {@code known_hosts} work as the operator has them, host keys stay checked, and nothing prompts
 * ({@code BatchMode=yes}). {@code BECKON_SSH_COMMAND} replaces {@code ssh} and its options here too. JGit itself
 * ships no SSH client in its core, and one built in would not know the operator's configuration.
 */
final class OpenSshSessions extends SshSessionFactory {
    private final Map<String, String> environment;

    OpenSshSessions(Map<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public RemoteSession getSession(URIish uri, CredentialsProvider credentials, FS fs, int timeout) {
        List<String> base = new ArrayList<>(Arrays.asList(environment.getOrDefault("BECKON_SSH_COMMAND", "ssh").strip().split("\\s+")));
        base.addAll(List.of("-o", "BatchMode=yes"));
        if (uri.getPort() > 0) {
            base.addAll(List.of("-p", String.valueOf(uri.getPort())));
        }
        base.add((uri.getUser() == null ? "" : uri.getUser() + "@") + uri.getHost());
        return new RemoteSession() {
            @Override
            public Process exec(String command, int commandTimeout) throws java.io.IOException {
                List<String> line = new ArrayList<>(base);
                // JGit passes the remote command already quoted for the remote shell (git-upload-pack '/path').
                line.add(command);
                return new ProcessBuilder(line).start();
            }

            @Override
            public void disconnect() {
                // Each exec is its own ssh process, which ends with its command.
            }
        };
    }

    @Override
    public String getType() {
        return "openssh";
    }
}
