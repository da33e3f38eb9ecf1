# Runs sgpsim twice and requires byte-identical CSV and stdout.
#   MODE=determinism: same arguments twice (all fault models on).
#   MODE=memo:        memoized vs --no-memo verification at n=16 (the
#                     summary's "verify:" line differs by design, so only
#                     the CSV and every other summary line are compared).
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
