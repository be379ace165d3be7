/*  =========================================================================
    test_command.c - client lines to commands
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "command.h"

static command_t
s_parse (const char *line)
{
    command_t command;
    command_parse (line, strlen (line), &command);
    return command;
}

static void
s_assert_slice (const char *data, size_t size, const char *expected)
{
    assert_int_equal (size, strlen (expected));
    assert_memory_equal (data, expected, size);
}

static void
test_chat_lines (void **state)
{
    (void) state;
    command_t command = s_parse ("hello world");
    assert_int_equal (command.type, COMMAND_SAY);
    s_assert_slice (command.text, command.text_size, "hello world");

    command = s_parse ("//join is a command");
    assert_int_equal (command.type, COMMAND_SAY);
    s_assert_slice (command.text, command.text_size, "/join is a command");

    command = s_parse ("//");
    assert_int_equal (command.type, COMMAND_SAY);
    s_assert_slice (command.text, command.text_size, "/");

    command = s_parse ("  leading spaces kept");
    assert_int_equal (command.type, COMMAND_SAY);
    s_assert_slice (command.text, command.text_size, "  leading spaces kept");

    //  Not NUL-terminated: only size bytes count
    command_parse ("hi there", 2, &command);
    assert_int_equal (command.type, COMMAND_SAY);
    s_assert_slice (command.text, command.text_size, "hi");
}

static void
test_verbs_case_insensitive (void **state)
{
    (void) state;
    command_t command = s_parse ("/JOIN rust");
    assert_int_equal (command.type, COMMAND_JOIN);
    s_assert_slice (command.name, command.name_size, "rust");
    command = s_parse ("/Nick  Bob");
    assert_int_equal (command.type, COMMAND_NICK);
    s_assert_slice (command.name, command.name_size, "Bob");
    assert_int_equal (s_parse ("/ROOMS").type, COMMAND_ROOMS);
    assert_int_equal (s_parse ("/who").type, COMMAND_WHO);
    assert_int_equal (s_parse ("/Help").type, COMMAND_HELP);
    assert_int_equal (s_parse ("/quit").type, COMMAND_QUIT);
    assert_int_equal (s_parse ("/who ").type, COMMAND_WHO);
}

static void
test_text_arguments (void **state)
{
    (void) state;
    command_t command = s_parse ("/msg bob hi  there ");
    assert_int_equal (command.type, COMMAND_MSG);
    s_assert_slice (command.name, command.name_size, "bob");
    s_assert_slice (command.text, command.text_size, "hi  there ");

    command = s_parse ("/me waves   hello");
    assert_int_equal (command.type, COMMAND_ME);
    s_assert_slice (command.text, command.text_size, "waves   hello");

    command = s_parse ("/join #Rust  ");
    assert_int_equal (command.type, COMMAND_JOIN);
    s_assert_slice (command.name, command.name_size, "#Rust");
}

//  A word argument that is optional: /rooms [word], /help [command]
static void
test_optional_word (void **state)
{
    (void) state;
    command_t command = s_parse ("/rooms");
    assert_int_equal (command.type, COMMAND_ROOMS);
    assert_int_equal (command.name_size, 0);
    command = s_parse ("/rooms  rust ");
    assert_int_equal (command.type, COMMAND_ROOMS);
    s_assert_slice (command.name, command.name_size, "rust");
    command = s_parse ("/help /JOIN");
    assert_int_equal (command.type, COMMAND_HELP);
    s_assert_slice (command.name, command.name_size, "/JOIN");
    command = s_parse ("/help");
    assert_int_equal (command.type, COMMAND_HELP);
    assert_int_equal (command.name_size, 0);
}

//  /help's table: every verb the parser knows, found with or without '/'
static void
test_help_table (void **state)
{
    (void) state;
    size_t count = 0;
    for (const command_help_t *help; (help = command_help_at (count)); count++) {
        assert_true (help->verb [0] == '/');
        assert_non_null (help->summary);
        assert_non_null (help->detail);
        //  The example parses as the verb itself, not as a usage error
        command_t command = s_parse (help->example);
        command_t verb = s_parse (help->verb);
        assert_true (command.type != COMMAND_USAGE && command.type != COMMAND_UNKNOWN);
        if (verb.type != COMMAND_USAGE)
            assert_int_equal (command.type, verb.type);
        assert_ptr_equal (command_help_find (help->verb, strlen (help->verb)), help);
        assert_ptr_equal (command_help_find (help->verb + 1, strlen (help->verb) - 1), help);
    }
    assert_int_equal (count, 9);
    assert_string_equal (command_help_find ("JOIN", 4)->usage, "/join <room>");
    assert_string_equal (command_help_find ("/Rooms", 6)->usage, "/rooms [word]");
    assert_null (command_help_find ("dance", 5));
    assert_null (command_help_find ("/", 1));
    assert_null (command_help_find ("", 0));
    assert_null (command_help_find ("jo", 2));
    assert_null (command_help_find ("joinx", 5));
}

static void
test_usage (void **state)
{
    (void) state;
    struct { const char *line; const char *usage; } cases [] = {
        { "/join", "/join <room>" },
        { "/join   ", "/join <room>" },
        { "/nick", "/nick <name>" },
        { "/msg", "/msg <nick> <text>" },
        { "/msg bob", "/msg <nick> <text>" },
        { "/msg bob    ", "/msg <nick> <text>" },
        { "/me", "/me <action>" },
        { "/ME  ", "/me <action>" },
        //  Words a verb does not take are an error, never ignored
        { "/nick a b", "/nick <name>" },
        { "/join a b", "/join <room>" },
        { "/join #Rust extra words", "/join <room>" },
        { "/who me", "/who" },
        { "/WHO  x ", "/who" },
        { "/rooms rust go", "/rooms [word]" },
        { "/quit now please", "/quit" },
        { "/help join now", "/help [command]" },
    };
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases [0]); index++) {
        command_t command = s_parse (cases [index].line);
        assert_int_equal (command.type, COMMAND_USAGE);
        assert_string_equal (command.usage, cases [index].usage);
    }
}

static void
test_unknown (void **state)
{
    (void) state;
    command_t command = s_parse ("/foo bar");
    assert_int_equal (command.type, COMMAND_UNKNOWN);
    s_assert_slice (command.name, command.name_size, "/foo");
    //  A known verb's prefix or extension is not that verb
    command = s_parse ("/joinx rust");
    assert_int_equal (command.type, COMMAND_UNKNOWN);
    s_assert_slice (command.name, command.name_size, "/joinx");
    command = s_parse ("/jo");
    assert_int_equal (command.type, COMMAND_UNKNOWN);
    command = s_parse ("/");
    assert_int_equal (command.type, COMMAND_UNKNOWN);
    s_assert_slice (command.name, command.name_size, "/");
    command = s_parse ("/ join");
    assert_int_equal (command.type, COMMAND_UNKNOWN);
    s_assert_slice (command.name, command.name_size, "/");
}

static void
test_empty_line (void **state)
{
    (void) state;
    command_t command;
    command_parse ("", 0, &command);
    assert_int_equal (command.type, COMMAND_SAY);
    assert_int_equal (command.text_size, 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_chat_lines),
        cmocka_unit_test (test_verbs_case_insensitive),
        cmocka_unit_test (test_text_arguments),
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_optional_word),
        cmocka_unit_test (test_help_table),
        cmocka_unit_test (test_unknown),
        cmocka_unit_test (test_empty_line),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
