# Runs sgpsim twice and requires byte-identical CSV and stdout.
#   MODE=determinism: same arguments twice (all fault models on).
#   MODE=memo:        memoized vs --no-memo verification at n=16 (the
#                     summary's "verify:" line differs by design, so only
#                     the CSV and every other summary line are compared).
#   MODE=model, MODE=model_dgram: the reduced-state model (--merge model)
#                     against the full simulator (--merge sgp), same seed.
#                     Tolerance 0: the per-round CSV (bytes, nodes holding the
#                     newest report) and the summary's dissemination, bytes,
#                     message and network lines must be identical; the other
#                     lines (merge name, state size, verify, verdicts) differ
#                     by design.  model: message loss, duplication, delay, a
#                     partition, a small budget (priority selection) and short
#                     T_cleanup (opinion rows); model_dgram: n=136 (2-byte ids),
#                     per-datagram loss with jigsaw parity.
# Usage: cmake -DSIM=path/to/sgpsim -DOUT=dir -DMODE=... -P compare_runs.cmake
if(NOT SIM OR NOT OUT OR NOT MODE)
  message(FATAL_ERROR "need -DSIM, -DOUT and -DMODE")
endif()
file(MAKE_DIRECTORY "${OUT}")
if(MODE STREQUAL "determinism")
  set(common --n 24 --seed 7 --loss 0.1 --dup 0.1 --delay 0.1 --partition 10-14 --crash 5@8
             --restart 5@30 --compromise 9@6 --crash 11@12 --insider 2 --rounds 60)
  set(args_a ${common})
  set(args_b ${common})
elseif(MODE STREQUAL "memo")
  set(common --n 16 --seed 3 --loss 0.05 --compromise 4@5 --crash 6@5 --insider 1)
  set(args_a ${common})
  set(args_b ${common} --no-memo)
elseif(MODE STREQUAL "model")
  set(common --n 40 --seed 5 --loss 0.2 --dup 0.05 --delay 0.05 --partition 8-12 --budget 2500
             --heartbeat 3 --t-cleanup 6 --max-silent 8 --rounds 50)
  set(args_a ${common} --merge sgp)
  set(args_b ${common} --merge model)
elseif(MODE STREQUAL "model_dgram")
  set(common --n 136 --seed 9 --loss 0.05 --loss-unit datagram --jigsaw aont-parity --rounds 20)
  set(args_a ${common} --merge sgp)
  set(args_b ${common} --merge model)
else()
  message(FATAL_ERROR "unknown MODE ${MODE}")
endif()
foreach(run a b)
  execute_process(COMMAND "${SIM}" ${args_${run}} --csv "${OUT}/${run}.csv"
                  OUTPUT_VARIABLE out_${run} RESULT_VARIABLE rc_${run} ERROR_QUIET)
  if(NOT rc_${run} EQUAL 0)
    message(FATAL_ERROR "sgpsim run ${run} exited ${rc_${run}}:\n${out_${run}}")
  endif()
  file(READ "${OUT}/${run}.csv" csv_${run})
  if(MODE STREQUAL "memo")
    string(REGEX REPLACE "verify: [^\n]*\n" "" out_${run} "${out_${run}}")
  elseif(MODE MATCHES "^model")
    string(REGEX MATCHALL "(dissemination|  per trial|bytes per node|messages|network|reports carried)[^\n]*\n"
           kept "${out_${run}}")
    string(JOIN "" out_${run} ${kept})
  endif()
endforeach()
if(NOT csv_a STREQUAL csv_b)
  message(FATAL_ERROR "${MODE}: CSV differs (${OUT}/a.csv vs ${OUT}/b.csv)")
endif()
if(NOT out_a STREQUAL out_b)
  message(FATAL_ERROR "${MODE}: stdout differs:\n--- a\n${out_a}\n--- b\n${out_b}")
endif()
string(LENGTH "${csv_a}" len)
message(STATUS "${MODE}: CSV (${len} bytes) and summary identical")
