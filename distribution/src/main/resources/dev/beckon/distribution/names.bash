
# beckon's own addition to picocli's script: service and target names, asked of the model in the current
# directory (beckon complete-names) when the word being completed is one.

# The options of beckon's subcommands that take a value (from the command model), so that a value is not taken
# for a positional word.
_beckon_options_with_values=" @OPTIONS_WITH_VALUES@ "

# Prints services or targets when the current word is a service or target name, else nothing.
function _beckon_name_kind() {
  [[ -n $ZSH_VERSION ]] && setopt localoptions ksharrays
  local subcommand=${COMP_WORDS[1]} prev_word=${COMP_WORDS[COMP_CWORD-1]} curr_word=${COMP_WORDS[COMP_CWORD]}
  if [[ $curr_word == -* ]]; then return; fi
  if [[ $prev_word == --target ]]; then echo targets; return; fi
  if [[ $_beckon_options_with_values == *" $prev_word "* ]]; then return; fi
  case $subcommand in
    unlock) echo targets ;;
    shell)
      # The first positional word after "shell" is the service; after "--" come the command's own words.
      local i positionals=0
      for (( i = 2; i < COMP_CWORD; i++ )); do
        local word=${COMP_WORDS[i]}
        if [[ $word == -- ]]; then return; fi
        if [[ $word == -* ]]; then
          [[ $_beckon_options_with_values == *" $word "* ]] && (( i++ ))
          continue
        fi
        (( positionals++ ))
      done
      if (( positionals == 0 )); then echo services; fi
      ;;
  esac
}

# Under zsh's bashcompinit, COMP_WORDS counts from 1 unless ksharrays is set: set here, it holds for picocli's
# functions too, which count from 0 as in bash.
function _beckon_complete() {
  [[ -n $ZSH_VERSION ]] && setopt localoptions ksharrays
  local kind
  kind=$(_beckon_name_kind)
  if [[ -n $kind ]]; then
    local IFS=$'\n'
    COMPREPLY=( $(compgen -W "$("${COMP_WORDS[0]}" complete-names "$kind" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
    return 0
  fi
  _complete_beckon "$@"
}

complete -F _beckon_complete -o default beckon
