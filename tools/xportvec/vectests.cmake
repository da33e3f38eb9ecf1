# sgp_vector_test(NAME TOOL FILE [ARGS...]): the ctest pair of one vector
# file.  NAME_generate runs `TOOL ARGS... <build dir>/FILE`;
# NAME_matches_committed then requires that output to be byte-identical to
# the committed conformance/vectors/FILE.  Shared by xportvec and confvec.
function(sgp_vector_test name tool file)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${file}")
  add_test(NAME ${name}_generate COMMAND ${tool} ${ARGN} "${out}")
  set_tests_properties(${name}_generate PROPERTIES FIXTURES_SETUP ${name}_out)
  add_test(NAME ${name}_matches_committed
           COMMAND ${CMAKE_COMMAND} -E compare_files "${out}"
                   "${CMAKE_SOURCE_DIR}/conformance/vectors/${file}")
  set_tests_properties(${name}_matches_committed PROPERTIES FIXTURES_REQUIRED ${name}_out)
endfunction()
