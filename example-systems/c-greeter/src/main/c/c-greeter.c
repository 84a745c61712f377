/*
 * c-greeter: a greeting server written for systemd, as C daemons are, knowing nothing of beckon.
 *
 * It takes its listening sockets with sd_listen_fds_with_names() from libsystemd (sockets from fd 3,
 * LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES; see sd_listen_fds(3)) and greets every client with one line:
 *
 *     GREETING (socket NAME)
 *
 * NAME being the socket's FileDescriptorName=. Started by hand, with no sockets passed, it binds
 * --port on 127.0.0.1 itself. Options:
 *
 *     --greeting TEXT       what to say (default "hello")
 *     --exit-when-idle SEC  exit 0 after SEC seconds without a client (0, the default: never);
 *                           the service manager keeps the socket and starts it again
 *     --once                exit 0 after the first client, as inetd-style servers do
 *     --port PORT           the port to bind when started by hand (default 8080)
 *
 * Deployed by beckon with the knob greeting-case (services.toml), it maps the knob region that
 * BECKON_KNOBS names, with plain mmap (the layout is in beckon's README, "Runtime knobs"), and greets
 * in upper case while the knob is "upper": `beckon knob set greeter greeting-case=upper` changes it
 * while it runs, one acquire load per client.
 *
 * Build: gcc -O2 -Wall -o c-greeter c-greeter.c $(pkg-config --cflags --libs libsystemd)
 */
#define _GNU_SOURCE /* accept4 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#define MAX_SOCKETS 16

static int bind_by_hand(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("c-greeter: socket");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *) &address, sizeof address) < 0 || listen(fd, 128) < 0) {
        fprintf(stderr, "c-greeter: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        exit(1);
    }
    return fd;
}

/* The knob greeting-case: its slot in the mapped region, and the index of its value "upper". */
static const volatile int64_t *greeting_case;
static int64_t upper_index = -1;

/* Reads a little-endian u32 of the header (every number in the region is little-endian). */
static uint32_t u32_at(const unsigned char *base, size_t offset) {
    return (uint32_t) base[offset] | (uint32_t) base[offset + 1] << 8 | (uint32_t) base[offset + 2] << 16
            | (uint32_t) base[offset + 3] << 24;
}

/* Maps BECKON_KNOBS read-only and finds greeting-case's line in the layout text: line i is slot i. */
static void map_knobs(void) {
    const char *path = getenv("BECKON_KNOBS");
    if (path == NULL) {
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat status;
    if (fd < 0 || fstat(fd, &status) < 0 || status.st_size < 32) {
        fprintf(stderr, "c-greeter: BECKON_KNOBS=%s is no knob region; greeting as written\n", path);
        return;
    }
    const unsigned char *base = mmap(NULL, status.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED || memcmp(base, "BECKNOBS", 8) != 0 || u32_at(base, 8) != 1) {
        fprintf(stderr, "c-greeter: %s is no knob region of layout version 1\n", path);
        return;
    }
    uint32_t count = u32_at(base, 12);
    uint32_t text_length = u32_at(base, 24);
    if (32 + 8 * (uint64_t) count + text_length > (uint64_t) status.st_size) {
        fprintf(stderr, "c-greeter: %s is a damaged knob region\n", path);
        return;
    }
    const char *line = (const char *) base + 32 + 8 * count;
    const char *end = line + text_length;
    for (uint32_t slot = 0; slot < count && line < end; slot++) {
        const char *next = memchr(line, '\n', end - line);
        if (next == NULL) {
            break;
        }
        const char prefix[] = "greeting-case enum ";
        if ((size_t) (next - line) > sizeof prefix - 1 && memcmp(line, prefix, sizeof prefix - 1) == 0) {
            int64_t index = 0;
            for (const char *value = line + sizeof prefix - 1; value < next; index++) {
                const char *space = memchr(value, ' ', next - value);
                const char *value_end = space != NULL ? space : next;
                if (value_end - value == 5 && memcmp(value, "upper", 5) == 0) {
                    upper_index = index;
                }
                value = value_end + 1;
            }
            greeting_case = (const volatile int64_t *) (base + 32 + 8 * slot);
        }
        line = next + 1;
    }
}

static int shouting(void) {
    return greeting_case != NULL && __atomic_load_n(greeting_case, __ATOMIC_ACQUIRE) == upper_index;
}

static void greet(int client, const char *greeting, const char *name) {
    char line[1024];
    int length = snprintf(line, sizeof line, "%s (socket %s)\n", greeting, name);
    if (length > (int) sizeof line - 1) {
        length = sizeof line - 1;
    }
    if (shouting()) {
        for (int i = 0; i < length; i++) {
            line[i] = (char) toupper((unsigned char) line[i]);
        }
    }
    for (int written = 0; written < length;) {
        ssize_t n = write(client, line + written, length - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        written += n;
    }
    close(client);
}

int main(int argc, char **argv) {
    const char *greeting = "hello";
    int idle_seconds = 0;
    int once = 0;
    int port = 8080;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--greeting") == 0 && i + 1 < argc) {
            greeting = argv[++i];
        } else if (strcmp(argv[i], "--exit-when-idle") == 0 && i + 1 < argc) {
            idle_seconds = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--once") == 0) {
            once = 1;
        } else {
            fprintf(stderr, "c-greeter: unknown option %s; known: --greeting TEXT, --exit-when-idle SEC, --once, --port PORT\n", argv[i]);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    map_knobs();

    struct pollfd sockets[MAX_SOCKETS];
    const char *names[MAX_SOCKETS];
    char **passed_names = NULL;
    int count = sd_listen_fds_with_names(1, &passed_names);
    if (count < 0) {
        fprintf(stderr, "c-greeter: sd_listen_fds: %s\n", strerror(-count));
        return 1;
    }
    if (count > MAX_SOCKETS) {
        fprintf(stderr, "c-greeter: %d sockets passed, at most %d taken\n", count, MAX_SOCKETS);
        return 1;
    }
    for (int i = 0; i < count; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
            fprintf(stderr, "c-greeter: fd %d is not a listening stream socket\n", fd);
            return 1;
        }
        sockets[i] = (struct pollfd){.fd = fd, .events = POLLIN};
        names[i] = passed_names != NULL && passed_names[i] != NULL ? passed_names[i] : "unnamed";
    }
    if (count == 0) {
        sockets[0] = (struct pollfd){.fd = bind_by_hand(port), .events = POLLIN};
        names[0] = "bound by hand";
        count = 1;
        idle_seconds = 0; /* nothing would start it again */
        fprintf(stderr, "c-greeter: no sockets passed (LISTEN_FDS); listening on 127.0.0.1:%d myself\n", port);
    } else {
        fprintf(stderr, "c-greeter: serving %d socket%s from the service manager, the first named %s\n", count,
                count == 1 ? "" : "s", names[0]);
    }

    for (;;) {
        int ready = poll(sockets, count, idle_seconds > 0 ? idle_seconds * 1000 : -1);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready < 0) {
            perror("c-greeter: poll");
            return 1;
        }
        if (ready == 0) {
            /* Idle: exit without accepting; later clients wait in the backlog of the socket the manager holds. */
            fprintf(stderr, "c-greeter: idle for %d s, exiting\n", idle_seconds);
            return 0;
        }
        for (int i = 0; i < count; i++) {
            if (!(sockets[i].revents & POLLIN)) {
                continue;
            }
            int client = accept4(sockets[i].fd, NULL, NULL, SOCK_CLOEXEC);
            if (client < 0) {
                continue;
            }
            greet(client, greeting, names[i]);
            if (once) {
                return 0;
            }
        }
    }
}
